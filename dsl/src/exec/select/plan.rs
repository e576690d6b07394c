//! The plan of one SELECT: bound filter, grouping, outputs, order, limit;
//! and its run over a stream of rows.

use std::collections::HashMap;

use super::ast::{Expr, ExprKind, Lit, Select, SelectItem};
use super::bind::{Agg, BExpr, Binder, Grouping, has_agg};
use super::eval::{Acc, eval, passes};
use super::value::{Ty, Val};
use crate::error::{DslError, Result};
use crate::table::Table;

pub(crate) struct Plan {
    filter: Option<BExpr>,
    /// GROUP BY keys and aggregates (bound against source rows), when grouped.
    group: Option<(Vec<BExpr>, Vec<Agg>)>,
    having: Option<BExpr>,
    names: Vec<String>,
    outputs: Vec<BExpr>,
    /// Keys; `true` for DESC. Bound like the outputs.
    order: Vec<(BExpr, bool)>,
    offset: usize,
    limit: Option<usize>,
}

/// Replaces a bare column that is not a source column but a select alias
/// by the aliased expression (GROUP BY / HAVING / ORDER BY may use aliases).
fn resolve_aliases(e: &Expr, items: &[SelectItem], columns: &[(String, Ty)]) -> Expr {
    let sub = |x: &Expr| Box::new(resolve_aliases(x, items, columns));
    let kind = match &e.kind {
        ExprKind::Column(c) => {
            let is_column = columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(c));
            let alias = items.iter().find(|i| {
                i.alias
                    .as_ref()
                    .is_some_and(|a| a.node.eq_ignore_ascii_case(c))
            });
            match (is_column, alias) {
                (false, Some(item)) => return item.expr.clone(),
                _ => e.kind.clone(),
            }
        }
        ExprKind::Not(a) => ExprKind::Not(sub(a)),
        ExprKind::And(a, b) => ExprKind::And(sub(a), sub(b)),
        ExprKind::Or(a, b) => ExprKind::Or(sub(a), sub(b)),
        ExprKind::Cmp(op, a, b) => ExprKind::Cmp(*op, sub(a), sub(b)),
        _ => e.kind.clone(),
    };
    Expr { kind, span: e.span }
}

impl Plan {
    pub(crate) fn build(sel: &Select, columns: &[(String, Ty)]) -> Result<Plan> {
        let no_items = Vec::new();
        let items = sel.items.as_ref().unwrap_or(&no_items);
        let alias = |e: &Expr| resolve_aliases(e, items, columns);
        let filter = match &sel.filter {
            Some(w) => Some(row_binder(columns, "WHERE").bind_bool(w)?),
            None => None,
        };
        let grouped = !sel.group_by.is_empty()
            || sel.having.is_some()
            || items.iter().any(|i| has_agg(&i.expr))
            || sel.order_by.iter().any(|k| has_agg(&k.expr));
        let mut binder = row_binder(columns, "the select list");
        let mut keys = Vec::new();
        if grouped {
            if sel.items.is_none() {
                return Err(
                    DslError::semantic("SELECT * cannot be grouped", sel.table.span).hint(
                        "list the grouped columns and aggregates, e.g. SELECT sign, COUNT(*) ...",
                    ),
                );
            }
            let mut names = Vec::new();
            for g in &sel.group_by {
                let g = alias(g);
                if has_agg(&g) {
                    return Err(DslError::semantic(
                        "GROUP BY cannot hold an aggregate",
                        g.span,
                    ));
                }
                let (b, t) = row_binder(columns, "GROUP BY").bind(&g)?;
                keys.push(b);
                names.push((g.canon(), t));
            }
            binder.group = Some(Grouping {
                keys: names,
                aggs: Vec::new(),
            });
        }
        let (names, outputs) = match &sel.items {
            None => (
                columns.iter().map(|(c, _)| c.clone()).collect(),
                (0..columns.len()).map(BExpr::Slot).collect(),
            ),
            Some(items) => {
                let mut names = Vec::new();
                let mut outs = Vec::new();
                for it in items {
                    outs.push(binder.bind(&it.expr)?.0);
                    names.push(match (&it.alias, &it.expr.kind) {
                        (Some(a), _) => a.node.clone(),
                        (None, ExprKind::Column(c)) => c.clone(),
                        (None, _) => it.expr.canon(),
                    });
                }
                (names, outs)
            }
        };
        binder.clause = "HAVING";
        let having = match &sel.having {
            Some(h) => Some(binder.bind_bool(&alias(h))?),
            None => None,
        };
        binder.clause = "ORDER BY";
        let mut order = Vec::new();
        for k in &sel.order_by {
            let b = match &k.expr.kind {
                ExprKind::Lit(Lit::Int(n)) => {
                    let i = usize::try_from(*n)
                        .ok()
                        .filter(|i| (1..=outputs.len()).contains(i));
                    let i = i.ok_or_else(|| {
                        DslError::semantic(
                            format!(
                                "ORDER BY {n}: the select list has {} columns",
                                outputs.len()
                            ),
                            k.expr.span,
                        )
                        .hint("ORDER BY a position counts output columns from 1")
                    })?;
                    outputs[i - 1].clone()
                }
                _ => binder.bind(&alias(&k.expr))?.0,
            };
            order.push((b, k.desc));
        }
        let group = binder.group.take().map(|g| (keys, g.aggs));
        Ok(Plan {
            filter,
            group,
            having,
            names,
            outputs,
            order,
            offset: sel.offset.as_ref().map(|o| o.node as usize).unwrap_or(0),
            limit: sel.limit.as_ref().map(|l| l.node as usize),
        })
    }

    /// Runs the plan over the source rows.
    pub(crate) fn run(&self, rows: &mut dyn Iterator<Item = Vec<Val>>) -> Table {
        let mut table = Table::new(&[]);
        table.columns = self.names.clone();
        let filtered = rows.filter(|r| self.filter.as_ref().is_none_or(|f| passes(f, r)));
        let result: Vec<Vec<Val>> = match &self.group {
            None if self.order.is_empty() => filtered
                .skip(self.offset)
                .take(self.limit.unwrap_or(usize::MAX))
                .map(|r| self.project(&r))
                .collect(),
            None => self.sorted(filtered),
            Some((keys, aggs)) => {
                let groups = group_rows(filtered, keys, aggs);
                let kept = groups
                    .into_iter()
                    .filter(|g| self.having.as_ref().is_none_or(|h| passes(h, g)));
                self.sorted(kept)
            }
        };
        table.rows = result
            .into_iter()
            .map(|r| r.iter().map(Val::to_value).collect())
            .collect();
        table
    }

    fn project(&self, row: &[Val]) -> Vec<Val> {
        self.outputs.iter().map(|o| eval(o, row)).collect()
    }

    /// Orders (stable: ties keep their order), then OFFSET and LIMIT.
    fn sorted(&self, rows: impl Iterator<Item = Vec<Val>>) -> Vec<Vec<Val>> {
        let mut keyed: Vec<(Vec<Val>, Vec<Val>)> = rows
            .map(|r| {
                let k = self.order.iter().map(|(o, _)| eval(o, &r)).collect();
                (k, self.project(&r))
            })
            .collect();
        if !self.order.is_empty() {
            keyed.sort_by(|(a, _), (b, _)| {
                for ((x, y), (_, desc)) in a.iter().zip(b).zip(&self.order) {
                    let o = x.order(y);
                    let o = if *desc { o.reverse() } else { o };
                    if o.is_ne() {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
        }
        keyed
            .into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .map(|(_, r)| r)
            .collect()
    }
}

fn row_binder<'a>(columns: &'a [(String, Ty)], clause: &'static str) -> Binder<'a> {
    Binder {
        columns,
        group: None,
        clause,
    }
}

/// Groups rows by `keys` (first-seen order) and folds the aggregates; the
/// result rows are the key values then the aggregate values. Without keys
/// there is exactly one group, even over no rows.
fn group_rows(rows: impl Iterator<Item = Vec<Val>>, keys: &[BExpr], aggs: &[Agg]) -> Vec<Vec<Val>> {
    let new_accs = || {
        aggs.iter()
            .map(|a| Acc::new(a.distinct))
            .collect::<Vec<_>>()
    };
    let mut index: HashMap<Vec<Val>, usize> = HashMap::new();
    let mut groups: Vec<(Vec<Val>, Vec<Acc>)> = Vec::new();
    if keys.is_empty() {
        index.insert(Vec::new(), 0);
        groups.push((Vec::new(), new_accs()));
    }
    // One key buffer for the whole scan: a key is copied only for a new group.
    let mut key: Vec<Val> = Vec::with_capacity(keys.len());
    for row in rows {
        key.clear();
        key.extend(keys.iter().map(|k| eval(k, &row)));
        let gi = match index.get(key.as_slice()) {
            Some(&i) => i,
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key.clone(), new_accs()));
                groups.len() - 1
            }
        };
        for (acc, agg) in groups[gi].1.iter_mut().zip(aggs) {
            acc.add(agg.func, agg.arg.as_ref().map(|a| eval(a, &row)));
        }
    }
    groups
        .into_iter()
        .map(|(mut key, accs)| {
            key.extend(
                accs.into_iter()
                    .zip(aggs)
                    .map(|(a, g)| a.finish(g.func, g.ty)),
            );
            key
        })
        .collect()
}
