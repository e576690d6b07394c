//! Evaluation: bound expressions over rows, aggregate accumulators.

use std::collections::HashSet;

use super::ast::CmpOp;
use super::bind::{AggFn, BExpr};
use super::value::{Ty, Val, like};

/// Evaluates `e` against a row of slots (SQL three-valued logic: a
/// comparison with NULL is NULL; WHERE keeps only true).
pub(crate) fn eval(e: &BExpr, row: &[Val]) -> Val {
    match e {
        BExpr::Slot(i) => row.get(*i).cloned().unwrap_or(Val::Null),
        BExpr::Lit(v) => v.clone(),
        BExpr::Not(a) => match eval(a, row).truth() {
            Some(b) => Val::Bool(!b),
            None => Val::Null,
        },
        BExpr::And(a, b) => match (eval(a, row).truth(), eval(b, row).truth()) {
            (Some(false), _) | (_, Some(false)) => Val::Bool(false),
            (Some(true), Some(true)) => Val::Bool(true),
            _ => Val::Null,
        },
        BExpr::Or(a, b) => match (eval(a, row).truth(), eval(b, row).truth()) {
            (Some(true), _) | (_, Some(true)) => Val::Bool(true),
            (Some(false), Some(false)) => Val::Bool(false),
            _ => Val::Null,
        },
        BExpr::Cmp(op, a, b) => {
            let (x, y) = (eval(a, row), eval(b, row));
            if x.is_null() || y.is_null() {
                return Val::Null;
            }
            let o = x.order(&y);
            Val::Bool(match op {
                CmpOp::Eq => o.is_eq(),
                CmpOp::Ne => o.is_ne(),
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                CmpOp::Ge => o.is_ge(),
            })
        }
        BExpr::IsNull(a, negated) => Val::Bool(eval(a, row).is_null() != *negated),
        BExpr::In(a, list, negated) => {
            let x = eval(a, row);
            if x.is_null() {
                return Val::Null;
            }
            let mut saw_null = false;
            for item in list {
                let y = eval(item, row);
                if y.is_null() {
                    saw_null = true;
                } else if x.order(&y).is_eq() {
                    return Val::Bool(!negated);
                }
            }
            if saw_null {
                Val::Null
            } else {
                Val::Bool(*negated)
            }
        }
        BExpr::Like(a, p, negated) => match (eval(a, row), eval(p, row)) {
            (Val::Text(t), Val::Text(p)) => Val::Bool(like(&t, &p) != *negated),
            _ => Val::Null,
        },
        BExpr::Contains(l, v) => match (eval(l, row), eval(v, row)) {
            (Val::List(l), Val::Text(v)) => Val::Bool(l.iter().any(|x| **x == *v)),
            _ => Val::Null,
        },
    }
}

/// True when `e` is true for the row (NULL and false both drop it).
pub(crate) fn passes(e: &BExpr, row: &[Val]) -> bool {
    eval(e, row).truth() == Some(true)
}

/// The running state of one aggregate in one group.
#[derive(Default)]
pub(crate) struct Acc {
    count: i64,
    sum_i: i128,
    sum_f: f64,
    any_float: bool,
    best: Option<Val>,
    seen: Option<HashSet<Val>>,
}

impl Acc {
    pub(crate) fn new(distinct: bool) -> Acc {
        Acc {
            seen: distinct.then(HashSet::new),
            ..Acc::default()
        }
    }

    /// Adds one value (`None`: a `COUNT(*)` row).
    pub(crate) fn add(&mut self, func: AggFn, v: Option<Val>) {
        let Some(v) = v else {
            self.count += 1;
            return;
        };
        if v.is_null() {
            return;
        }
        if let Some(seen) = &mut self.seen {
            seen.insert(v);
            return;
        }
        self.push(func, v);
    }

    fn push(&mut self, func: AggFn, v: Val) {
        self.count += 1;
        match func {
            AggFn::Count => {}
            AggFn::Sum | AggFn::Avg => match v {
                Val::Int(i) => self.sum_i += i as i128,
                Val::Float(f) => {
                    self.sum_f += f;
                    self.any_float = true;
                }
                _ => {}
            },
            AggFn::Min | AggFn::Max => {
                let better = match &self.best {
                    None => true,
                    Some(b) => {
                        let o = v.order(b);
                        if func == AggFn::Min {
                            o.is_lt()
                        } else {
                            o.is_gt()
                        }
                    }
                };
                if better {
                    self.best = Some(v);
                }
            }
        }
    }

    /// The aggregate's value.
    pub(crate) fn finish(mut self, func: AggFn, ty: Ty) -> Val {
        if let Some(seen) = self.seen.take() {
            // Distinct values in a fixed order, so float sums do not
            // depend on hashing.
            let mut vals: Vec<Val> = seen.into_iter().collect();
            vals.sort_by(|a, b| a.order(b));
            for v in vals {
                self.push(func, v);
            }
        }
        match func {
            AggFn::Count => Val::Int(self.count),
            _ if self.count == 0 => Val::Null,
            AggFn::Sum if ty == Ty::Int && !self.any_float => i64::try_from(self.sum_i)
                .map(Val::Int)
                .unwrap_or(Val::Float(self.sum_i as f64)),
            AggFn::Sum => Val::Float(self.sum_i as f64 + self.sum_f),
            AggFn::Avg => Val::Float((self.sum_i as f64 + self.sum_f) / self.count as f64),
            AggFn::Min | AggFn::Max => self.best.unwrap_or(Val::Null),
        }
    }
}
