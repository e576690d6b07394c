//! Binding: names → column slots, functions → aggregates or scalars, with
//! type checks. Every error points at the expression at fault.

use super::ast::{CmpOp, Expr, ExprKind, Lit};
use super::value::{Ty, Val};
use super::{closest, did_you_mean};
use crate::ast::Span;
use crate::error::{DslError, Result};
use crate::keywords::FUNCTIONS;

/// A bound expression, evaluated against one row of slots.
#[derive(Debug, Clone)]
pub(crate) enum BExpr {
    Slot(usize),
    Lit(Val),
    Not(Box<BExpr>),
    And(Box<BExpr>, Box<BExpr>),
    Or(Box<BExpr>, Box<BExpr>),
    Cmp(CmpOp, Box<BExpr>, Box<BExpr>),
    IsNull(Box<BExpr>, bool),
    In(Box<BExpr>, Vec<BExpr>, bool),
    Like(Box<BExpr>, Box<BExpr>, bool),
    Contains(Box<BExpr>, Box<BExpr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// One aggregate of a grouped query; `arg` is bound against source rows.
#[derive(Debug, Clone)]
pub(crate) struct Agg {
    pub func: AggFn,
    pub arg: Option<BExpr>,
    pub distinct: bool,
    pub ty: Ty,
}

fn agg_fn(name: &str) -> Option<AggFn> {
    Some(match name.to_ascii_uppercase().as_str() {
        "COUNT" => AggFn::Count,
        "SUM" => AggFn::Sum,
        "AVG" => AggFn::Avg,
        "MIN" => AggFn::Min,
        "MAX" => AggFn::Max,
        _ => return None,
    })
}

/// True when `e` calls an aggregate function.
pub(crate) fn has_agg(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call { name, args, .. } => {
            agg_fn(&name.node).is_some() || args.iter().any(has_agg)
        }
        ExprKind::Column(_) | ExprKind::Lit(_) => false,
        ExprKind::Not(a) => has_agg(a),
        ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Cmp(_, a, b) => {
            has_agg(a) || has_agg(b)
        }
        ExprKind::IsNull { expr, .. } => has_agg(expr),
        ExprKind::In { expr, list, .. } => has_agg(expr) || list.iter().any(has_agg),
        ExprKind::Like { expr, pattern, .. } => has_agg(expr) || has_agg(pattern),
    }
}

/// The GROUP BY state of a grouped query: post-aggregation slots are the
/// group keys, then the aggregates.
pub(crate) struct Grouping {
    pub keys: Vec<(String, Ty)>,
    pub aggs: Vec<Agg>,
}

/// Binds expressions against the source columns, or (grouped) against the
/// group keys and aggregates.
pub(crate) struct Binder<'a> {
    pub columns: &'a [(String, Ty)],
    pub group: Option<Grouping>,
    /// Where the expression is (for "not allowed here" errors).
    pub clause: &'static str,
}

fn type_error(what: String, span: Span, hint: &str) -> DslError {
    DslError::semantic(what, span).hint(hint.to_string())
}

impl Binder<'_> {
    pub(crate) fn column(&self, name: &str, span: Span) -> Result<(usize, Ty)> {
        let exact = self.columns.iter().position(|(c, _)| c == name);
        let found = exact.or_else(|| {
            self.columns
                .iter()
                .position(|(c, _)| c.eq_ignore_ascii_case(name))
        });
        if let Some(i) = found {
            return Ok((i, self.columns[i].1));
        }
        let names: Vec<&str> = self.columns.iter().map(|(c, _)| c.as_str()).collect();
        let e = DslError::semantic(format!("unknown column '{name}'"), span);
        Err(match closest(name, &names) {
            Some(c) => e.hint(did_you_mean(c, &names)),
            None => e.hint(format!("the columns are: {}", names.join(", "))),
        })
    }

    /// Binds `e`; expects a boolean (WHERE, HAVING).
    pub(crate) fn bind_bool(&mut self, e: &Expr) -> Result<BExpr> {
        let (b, t) = self.bind(e)?;
        expect(t, Ty::Bool, e, self.clause)?;
        Ok(b)
    }

    pub(crate) fn bind(&mut self, e: &Expr) -> Result<(BExpr, Ty)> {
        if let Some(g) = &self.group {
            let c = e.canon();
            if let Some(i) = g.keys.iter().position(|(k, _)| *k == c) {
                return Ok((BExpr::Slot(i), g.keys[i].1));
            }
        }
        Ok(match &e.kind {
            ExprKind::Column(name) => {
                if self.group.is_some() {
                    return Err(DslError::semantic(
                        format!("column '{name}' is neither grouped nor aggregated"),
                        e.span,
                    )
                    .hint(format!(
                        "add {name} to GROUP BY, or use it inside COUNT/SUM/AVG/MIN/MAX"
                    )));
                }
                let (i, t) = self.column(name, e.span)?;
                (BExpr::Slot(i), t)
            }
            ExprKind::Lit(l) => literal(l),
            ExprKind::Not(a) => {
                let b = self.bind_bool(a)?;
                (BExpr::Not(Box::new(b)), Ty::Bool)
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let (x, y) = (self.bind_bool(a)?, self.bind_bool(b)?);
                let (x, y) = (Box::new(x), Box::new(y));
                let k = if matches!(e.kind, ExprKind::And(..)) {
                    BExpr::And(x, y)
                } else {
                    BExpr::Or(x, y)
                };
                (k, Ty::Bool)
            }
            ExprKind::Cmp(op, a, b) => {
                let (x, tx) = self.bind(a)?;
                let (y, ty) = self.bind(b)?;
                comparable(tx, ty, e)?;
                (BExpr::Cmp(*op, Box::new(x), Box::new(y)), Ty::Bool)
            }
            ExprKind::IsNull { expr, negated } => {
                let (x, _) = self.bind(expr)?;
                (BExpr::IsNull(Box::new(x), *negated), Ty::Bool)
            }
            ExprKind::In {
                expr,
                list,
                negated,
            } => {
                let (x, tx) = self.bind(expr)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let (y, ty) = self.bind(item)?;
                    comparable(tx, ty, item)?;
                    items.push(y);
                }
                (BExpr::In(Box::new(x), items, *negated), Ty::Bool)
            }
            ExprKind::Like {
                expr,
                pattern,
                negated,
            } => {
                let (x, tx) = self.bind(expr)?;
                expect(tx, Ty::Text, expr, "LIKE")?;
                let (y, ty) = self.bind(pattern)?;
                expect(ty, Ty::Text, pattern, "a LIKE pattern")?;
                (BExpr::Like(Box::new(x), Box::new(y), *negated), Ty::Bool)
            }
            ExprKind::Call { .. } => self.call(e)?,
        })
    }

    fn call(&mut self, e: &Expr) -> Result<(BExpr, Ty)> {
        let ExprKind::Call {
            name,
            args,
            star,
            distinct,
        } = &e.kind
        else {
            return Err(DslError::semantic("not a function call", e.span));
        };
        let upper = name.node.to_ascii_uppercase();
        if let Some(func) = agg_fn(&upper) {
            return self.aggregate(e, func, args, *star, *distinct);
        }
        if upper != "CONTAINS" {
            let err = DslError::semantic(format!("unknown function '{}'", name.node), name.span);
            return Err(match closest(&upper, FUNCTIONS) {
                Some(c) => err.hint(did_you_mean(c, FUNCTIONS)),
                None => err.hint(format!("the functions are: {}", FUNCTIONS.join(", "))),
            });
        }
        if args.len() != 2 || *star || *distinct {
            return Err(DslError::semantic("CONTAINS takes two arguments", e.span)
                .hint("write CONTAINS(list_column, 'value'), e.g. CONTAINS(brand, 'Nike')"));
        }
        let (l, tl) = self.bind(&args[0])?;
        expect(tl, Ty::List, &args[0], "CONTAINS's first argument")?;
        let (v, tv) = self.bind(&args[1])?;
        expect(tv, Ty::Text, &args[1], "CONTAINS's second argument")?;
        Ok((BExpr::Contains(Box::new(l), Box::new(v)), Ty::Bool))
    }

    fn aggregate(
        &mut self,
        e: &Expr,
        func: AggFn,
        args: &[Expr],
        star: bool,
        distinct: bool,
    ) -> Result<(BExpr, Ty)> {
        let Some(group) = &self.group else {
            return Err(DslError::semantic(
                format!("aggregates are not allowed in {}", self.clause),
                e.span,
            )
            .hint("filter groups with HAVING; WHERE filters rows before grouping"));
        };
        let nkeys = group.keys.len();
        if star && func != AggFn::Count {
            return Err(DslError::semantic("only COUNT takes *", e.span)
                .hint("give a column, e.g. SUM(pos_degree)"));
        }
        if !star && args.len() != 1 {
            return Err(DslError::semantic(
                "an aggregate takes one argument",
                e.span,
            ));
        }
        let (arg, ty) = if star {
            (None, Ty::Int)
        } else {
            let mut inner = Binder {
                columns: self.columns,
                group: None,
                clause: "an aggregate's argument",
            };
            if has_agg(&args[0]) {
                return Err(DslError::semantic("aggregates do not nest", args[0].span));
            }
            let (b, t) = inner.bind(&args[0])?;
            (Some(b), t)
        };
        let out = match func {
            AggFn::Count => Ty::Int,
            AggFn::Sum | AggFn::Avg => {
                if !ty.numeric() {
                    return Err(type_error(
                        format!("{} needs numbers, not {}", e.canon(), ty.name()),
                        args[0].span,
                        "SUM and AVG take a numeric column, e.g. AVG(pos_frac)",
                    ));
                }
                if func == AggFn::Avg || ty == Ty::Float {
                    Ty::Float
                } else {
                    Ty::Int
                }
            }
            AggFn::Min | AggFn::Max => {
                if ty == Ty::List {
                    return Err(type_error(
                        "MIN and MAX cannot order lists".into(),
                        args[0].span,
                        "aggregate a text or number column",
                    ));
                }
                ty
            }
        };
        let Some(g) = self.group.as_mut() else {
            return Err(DslError::semantic("internal: no grouping", e.span));
        };
        g.aggs.push(Agg {
            func,
            arg,
            distinct,
            ty: out,
        });
        Ok((BExpr::Slot(nkeys + g.aggs.len() - 1), out))
    }
}

fn literal(l: &Lit) -> (BExpr, Ty) {
    let (v, t) = match l {
        Lit::Null => (Val::Null, Ty::Null),
        Lit::Bool(b) => (Val::Bool(*b), Ty::Bool),
        Lit::Int(i) => (Val::Int(*i), Ty::Int),
        Lit::Float(f) => (Val::Float(*f), Ty::Float),
        Lit::Text(s) => (Val::Text(s.as_str().into()), Ty::Text),
    };
    (BExpr::Lit(v), t)
}

fn expect(got: Ty, want: Ty, e: &Expr, what: &str) -> Result<()> {
    if got == want || got == Ty::Null || (want == Ty::Float && got.numeric()) {
        return Ok(());
    }
    let hint = match (want, got) {
        (Ty::Bool, _) => "write a condition, e.g. sign = '-'".to_string(),
        (Ty::Text, Ty::List) => "test membership with CONTAINS(column, 'value')".to_string(),
        _ => format!("give {} here", want.name()),
    };
    Err(type_error(
        format!(
            "{what} needs {}, but {} is {}",
            want.name(),
            e.canon(),
            got.name()
        ),
        e.span,
        &hint,
    ))
}

fn comparable(a: Ty, b: Ty, e: &Expr) -> Result<()> {
    if a.comparable(b) {
        return Ok(());
    }
    let hint = if a == Ty::List || b == Ty::List {
        "a list column cannot be compared: test membership with CONTAINS(column, 'value')"
    } else {
        "compare values of one type: quote text ('Nike'), leave numbers bare (0.5)"
    };
    Err(type_error(
        format!(
            "cannot compare {} with {} in {}",
            a.name(),
            b.name(),
            e.canon()
        ),
        e.span,
        hint,
    ))
}
