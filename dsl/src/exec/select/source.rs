//! The virtual tables: their definitions (one table drives binding,
//! did-you-mean, `.help` and completion) and their rows, produced lazily
//! from the engine's typed iterators (`valence_engine::query`).

use std::rc::Rc;
use std::sync::Arc;

use valence_engine::dataset_columns as cols;
use valence_engine::{Dataset, Engine, Kind, ObjRef, Sign, SignedGraph, query};

use super::ast::TableRef;
use super::value::{Ty, Val};
use super::{closest, did_you_mean};
use crate::error::{DslError, Result};
use crate::exec::at;

/// What a table function reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Graph,
    Dataset,
    DatasetRow,
}

/// One table function.
pub struct TableFn {
    pub name: &'static str,
    pub args: &'static str,
    pub over: Over,
    pub columns: &'static [(&'static str, Ty)],
    pub about: &'static str,
}

/// Every table function SELECT can read.
pub const TABLE_FUNCTIONS: &[TableFn] = &[
    TableFn {
        name: "edges",
        args: "g[@N]",
        over: Over::Graph,
        columns: &[
            ("source_modality", Ty::Text),
            ("source", Ty::Text),
            ("target_modality", Ty::Text),
            ("target", Ty::Text),
            ("sign", Ty::Text),
        ],
        about: "one row per edge, source modality first in catalogue order",
    },
    TableFn {
        name: "neighbours",
        args: "g[@N]",
        over: Over::Graph,
        columns: &[
            ("modality", Ty::Text),
            ("value", Ty::Text),
            ("other_modality", Ty::Text),
            ("other", Ty::Text),
            ("sign", Ty::Text),
        ],
        about: "every edge in both orientations",
    },
    TableFn {
        name: "nodes",
        args: "g[@N]",
        over: Over::Graph,
        columns: &[
            ("modality", Ty::Text),
            ("value", Ty::Text),
            ("description", Ty::Text),
            ("pos_degree", Ty::Int),
            ("neg_degree", Ty::Int),
            ("degree", Ty::Int),
        ],
        about: "one row per node with its degrees",
    },
    TableFn {
        name: "rows",
        args: "ds[@N]",
        over: Over::Dataset,
        // The names are the engine's, which no modality may take.
        columns: &[
            (cols::ROW, Ty::Int),
            (cols::LABEL, Ty::Text),
            (cols::POS_FRAC, Ty::Float),
            (cols::NEG_FRAC, Ty::Float),
            (cols::ABSENT_FRAC, Ty::Float),
            (cols::RELABELLED, Ty::Bool),
        ],
        about: "one row per dataset row (0-based), plus one list column per modality",
    },
    TableFn {
        name: "pairs",
        args: "ds[@N], row",
        over: Over::DatasetRow,
        columns: &[
            ("a_modality", Ty::Text),
            ("a", Ty::Text),
            ("b_modality", Ty::Text),
            ("b", Ty::Text),
            ("sign", Ty::Text),
        ],
        about: "a row's candidate pairs and their signs (NULL: no edge)",
    },
];

/// A loaded table: the object it reads and which function reads it.
pub(crate) enum Loaded {
    Graph {
        func: &'static str,
        g: Arc<SignedGraph>,
        descriptions: Vec<Option<Rc<str>>>,
    },
    Rows(Dataset),
    Pairs {
        ds: Dataset,
        g: Arc<SignedGraph>,
        row: usize,
    },
}

fn find_fn(t: &TableRef) -> Result<&'static TableFn> {
    let name = t.func.node.as_str();
    TABLE_FUNCTIONS
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = TABLE_FUNCTIONS.iter().map(|f| f.name).collect();
            // British and American spellings of neighbours both work.
            let e = DslError::semantic(format!("unknown table function '{name}'"), t.func.span);
            match closest(name, &names) {
                Some(c) => e.hint(did_you_mean(c, &names)),
                None => e.hint(format!("the table functions are: {}", names.join(", "))),
            }
        })
}

/// Resolves and loads the table a SELECT reads.
pub(crate) fn load(e: &Engine, t: &TableRef) -> Result<Loaded> {
    let alias = (t.func.node == "neighbors").then_some("neighbours");
    let def = match alias {
        Some(n) => TABLE_FUNCTIONS
            .iter()
            .find(|f| f.name == n)
            .unwrap_or(&TABLE_FUNCTIONS[1]),
        None => find_fn(t)?,
    };
    let needs_row = def.over == Over::DatasetRow;
    match (&t.row, needs_row) {
        (Some(r), false) => {
            return Err(
                DslError::semantic(format!("{}() takes one argument", def.name), r.span)
                    .hint(format!("write {}({})", def.name, def.args)),
            );
        }
        (None, true) => {
            return Err(DslError::semantic("pairs() needs a row number", t.span)
                .hint("write pairs(ds, 0) for the first row (rows are numbered from 0)"));
        }
        _ => {}
    }
    let r = &t.target.node;
    Ok(match def.over {
        Over::Graph => {
            let (_, g) = e.graph(r).map_err(at(t.target.span))?;
            let descriptions = if def.name == "nodes" {
                descriptions(e, r, &g)
            } else {
                Vec::new()
            };
            Loaded::Graph {
                func: def.name,
                g,
                descriptions,
            }
        }
        Over::Dataset => {
            let (v, ds) = e.dataset(r).map_err(at(t.target.span))?;
            let what = format!("dataset '{}@{v}'", r.name);
            valence_engine::check_dataset_columns(&ds, &what).map_err(at(t.target.span))?;
            Loaded::Rows(ds)
        }
        Over::DatasetRow => {
            let (_, ds) = e.dataset(r).map_err(at(t.target.span))?;
            let row_at = t.row.as_ref().map(|x| (x.node, x.span)).unwrap_or_default();
            if row_at.0 as usize >= ds.len() {
                return Err(DslError::semantic(
                    format!(
                        "row {} is out of range: {} has {} rows",
                        row_at.0,
                        r.name,
                        ds.len()
                    ),
                    row_at.1,
                )
                .hint(format!(
                    "rows are numbered 0 to {}",
                    ds.len().saturating_sub(1)
                )));
            }
            let g = source_graph(e, r).map_err(|x| x.or_at(t.target.span))?;
            Loaded::Pairs {
                ds,
                g,
                row: row_at.0 as usize,
            }
        }
    })
}

/// The graph version a dataset was sampled from (its manifest says).
fn source_graph(e: &Engine, r: &ObjRef) -> Result<Arc<SignedGraph>> {
    let (_, m) = e
        .manifest(Kind::Dataset, r)
        .map_err(at(Default::default()))?;
    let g = &m.details["graph"];
    let (Some(name), Some(v)) = (g["name"].as_str(), g["version"].as_u64()) else {
        return Err(DslError::semantic(
            format!(
                "dataset {} does not record the graph it was sampled from",
                r.name
            ),
            Default::default(),
        ));
    };
    e.graph(&ObjRef::at(name, v as u32))
        .map(|(_, g)| g)
        .map_err(|x| {
            DslError::engine(x, Default::default()).hint(format!(
                "pairs() reads the signs from {name}@{v}, the graph {} was sampled from",
                r.name
            ))
        })
}

/// Node descriptions from the catalogue the graph was made from, when the
/// manifest names one that still exists; else none.
fn descriptions(e: &Engine, r: &ObjRef, g: &SignedGraph) -> Vec<Option<Rc<str>>> {
    let mut out = vec![None; g.node_count()];
    let Ok((_, m)) = e.manifest(Kind::Graph, r) else {
        return out;
    };
    let c = &m.details["catalogue"];
    let (Some(name), Some(v)) = (c["name"].as_str(), c["version"].as_u64()) else {
        return out;
    };
    if let Ok((_, cat)) = e.catalogue(&ObjRef::at(name, v as u32)) {
        for a in cat.attributes() {
            let m = &cat.modalities()[a.modality as usize];
            if let (Some(id), Some(d)) = (g.find(m, &a.value), &a.description) {
                out[id as usize] = Some(Rc::from(d.as_str()));
            }
        }
    }
    out
}

impl Loaded {
    /// Column names and types.
    pub(crate) fn columns(&self) -> Vec<(String, Ty)> {
        let def = |n: &str| {
            TABLE_FUNCTIONS
                .iter()
                .find(|f| f.name == n)
                .map(|f| f.columns)
                .unwrap_or_default()
        };
        let fixed = |n: &str| -> Vec<(String, Ty)> {
            def(n).iter().map(|(c, t)| (c.to_string(), *t)).collect()
        };
        match self {
            Loaded::Graph { func, .. } => fixed(func),
            Loaded::Rows(ds) => {
                let mut c = fixed("rows");
                c.extend(ds.modalities().iter().map(|m| (m.clone(), Ty::List)));
                c
            }
            Loaded::Pairs { .. } => fixed("pairs"),
        }
    }

    /// Runs `f` over the rows, produced lazily. `value`: the WHERE pins
    /// `value = '...'`, so `neighbours` reads only the edges of the nodes
    /// holding it (the WHERE is still applied to every row).
    pub(crate) fn scan<R>(
        &self,
        value: Option<&str>,
        f: impl FnOnce(&mut dyn Iterator<Item = Vec<Val>>) -> R,
    ) -> R {
        let plus: Val = Val::Text(Rc::from("+"));
        let minus: Val = Val::Text(Rc::from("-"));
        let sign = |s: Option<Sign>| match s {
            Some(Sign::Pos) => plus.clone(),
            Some(Sign::Neg) => minus.clone(),
            None => Val::Null,
        };
        match self {
            Loaded::Graph {
                func,
                g,
                descriptions,
            } => {
                let n = Names::new(g);
                match *func {
                    "edges" => f(&mut query::edges(g).map(|r| {
                        let (a, b) = (r.source as usize, r.target as usize);
                        vec![
                            n.modality(g, a),
                            n.value(a),
                            n.modality(g, b),
                            n.value(b),
                            sign(Some(r.sign)),
                        ]
                    })),
                    "neighbours" => {
                        let rows: Box<dyn Iterator<Item = query::EdgeRow>> = match value {
                            Some(v) => {
                                Box::new(query::neighbours_of(g, move |id| g.value(id) == v))
                            }
                            None => Box::new(query::neighbours(g)),
                        };
                        f(&mut rows.map(|r| {
                            let (a, b) = (r.source as usize, r.target as usize);
                            vec![
                                n.modality(g, a),
                                n.value(a),
                                n.modality(g, b),
                                n.value(b),
                                sign(Some(r.sign)),
                            ]
                        }))
                    }
                    _ => f(&mut query::nodes(g).map(|r| {
                        let i = r.id as usize;
                        let d = descriptions.get(i).cloned().flatten();
                        vec![
                            n.modality(g, i),
                            n.value(i),
                            d.map(Val::Text).unwrap_or(Val::Null),
                            Val::Int(r.pos_degree as i64),
                            Val::Int(r.neg_degree as i64),
                            Val::Int((r.pos_degree + r.neg_degree) as i64),
                        ]
                    })),
                }
            }
            Loaded::Rows(ds) => f(&mut query::rows(ds).map(|(i, r)| {
                let fr = r.fractions();
                let mut v = vec![
                    Val::Int(i as i64),
                    Val::Text(Rc::from(r.label())),
                    Val::Float(fr.pos),
                    Val::Float(fr.neg),
                    Val::Float(fr.absent),
                    Val::Bool(r.label() != r.sampled_label()),
                ];
                for m in 0..ds.modalities().len() {
                    v.push(Val::List(r.values(m).map(Rc::from).collect()));
                }
                v
            })),
            Loaded::Pairs { ds, g, row } => f(&mut query::pairs(g, ds.row(*row)).map(|p| {
                vec![
                    Val::Text(Rc::from(p.a_modality)),
                    Val::Text(Rc::from(p.a)),
                    Val::Text(Rc::from(p.b_modality)),
                    Val::Text(Rc::from(p.b)),
                    sign(p.sign),
                ]
            })),
        }
    }
}

/// Shared node and modality strings, made once per scan.
struct Names {
    modalities: Vec<Val>,
    values: Vec<Val>,
}

impl Names {
    fn new(g: &SignedGraph) -> Names {
        Names {
            modalities: g
                .modalities()
                .iter()
                .map(|m| Val::Text(Rc::from(m.as_str())))
                .collect(),
            values: (0..g.node_count() as u32)
                .map(|i| Val::Text(Rc::from(g.value(i))))
                .collect(),
        }
    }
    fn modality(&self, g: &SignedGraph, i: usize) -> Val {
        self.modalities[g.modality_of(i as u32) as usize].clone()
    }
    fn value(&self, i: usize) -> Val {
        self.values[i].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::TABLE_FUNCTIONS;

    /// The fixed columns of rows(ds) are the engine's reserved names, which
    /// LOAD CATALOGUE and IMPORT GRAPH refuse as modalities: a list column of
    /// a modality can never shadow one.
    #[test]
    fn rows_columns_are_reserved_modality_names() {
        let rows = TABLE_FUNCTIONS.iter().find(|f| f.name == "rows").unwrap();
        for (c, _) in rows.columns {
            assert!(
                valence_engine::dataset_columns::RESERVED.contains(c),
                "{c} is not reserved"
            );
        }
    }
}
