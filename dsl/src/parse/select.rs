//! Builder for `select_stmt`: text → [`Select`] with spans everywhere.

use super::clauses::{integer, obj_ref, spanned, string};
use super::params::{self, Param};
use super::{Pair, Rule, span_of};
use crate::ast::{Spanned, StatementKind};
use crate::error::{DslError, Result};
use crate::exec::select::ast::*;

fn is_kw(p: &Pair<'_>) -> bool {
    format!("{:?}", p.as_rule()).starts_with("kw_")
}

/// Builds the statement from a `select_stmt` pair.
pub(crate) fn build(p: Pair<'_>) -> Result<StatementKind> {
    let mut sel = Select {
        items: None,
        table: TableRef {
            func: Spanned::default(),
            target: Spanned {
                node: valence_engine::ObjRef {
                    name: String::new(),
                    version: None,
                },
                span: Default::default(),
            },
            row: None,
            span: Default::default(),
        },
        filter: None,
        group_by: Vec::new(),
        having: None,
        order_by: Vec::new(),
        limit: None,
        offset: None,
    };
    for part in p.into_inner().filter(|x| !is_kw(x)) {
        match part.as_rule() {
            Rule::sel_list => sel.items = items(part)?,
            Rule::table_fn => sel.table = table_fn(part)?,
            Rule::sel_where => sel.filter = first_expr(part)?,
            Rule::sel_having => sel.having = first_expr(part)?,
            Rule::sel_group => {
                sel.group_by = part
                    .into_inner()
                    .filter(|x| x.as_rule() == Rule::expr)
                    .map(expr)
                    .collect::<Result<_>>()?;
            }
            Rule::sel_order => {
                for k in part.into_inner().filter(|x| x.as_rule() == Rule::order_key) {
                    let mut e = None;
                    let mut desc = false;
                    for x in k.into_inner() {
                        match x.as_rule() {
                            Rule::expr => e = Some(expr(x)?),
                            Rule::kw_desc => desc = true,
                            _ => {}
                        }
                    }
                    if let Some(expr) = e {
                        sel.order_by.push(OrderKey { expr, desc });
                    }
                }
            }
            Rule::sel_limit | Rule::sel_offset => {
                let is_limit = part.as_rule() == Rule::sel_limit;
                if let Some(n) = part.into_inner().find(|x| x.as_rule() == Rule::integer) {
                    let v = spanned(&n, integer(&n)?);
                    if is_limit {
                        sel.limit = Some(v);
                    } else {
                        sel.offset = Some(v);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(StatementKind::Select(Box::new(sel)))
}

fn first_expr(p: Pair<'_>) -> Result<Option<Expr>> {
    p.into_inner()
        .find(|x| x.as_rule() == Rule::expr)
        .map(expr)
        .transpose()
}

fn items(p: Pair<'_>) -> Result<Option<Vec<SelectItem>>> {
    let mut out = Vec::new();
    for it in p.into_inner() {
        match it.as_rule() {
            Rule::sel_star => return Ok(None),
            Rule::sel_item => {
                let mut e = None;
                let mut alias = None;
                for x in it.into_inner() {
                    match x.as_rule() {
                        Rule::expr => e = Some(expr(x)?),
                        Rule::ident => alias = Some(spanned(&x, x.as_str().to_string())),
                        _ => {}
                    }
                }
                if let Some(expr) = e {
                    out.push(SelectItem { expr, alias });
                }
            }
            _ => {}
        }
    }
    Ok(Some(out))
}

fn table_fn(p: Pair<'_>) -> Result<TableRef> {
    let span = span_of(&p);
    let mut func = Spanned::default();
    let mut target = None;
    let mut row = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::ident => func = spanned(&x, x.as_str().to_ascii_lowercase()),
            Rule::obj_ref => target = Some(obj_ref(x)?),
            Rule::integer => row = Some(spanned(&x, integer(&x)?)),
            _ => {}
        }
    }
    let target = target.ok_or_else(|| DslError::parse("missing object name", span))?;
    Ok(TableRef {
        func,
        target,
        row,
        span,
    })
}

fn node(kind: ExprKind, p: &Pair<'_>) -> Expr {
    Expr {
        kind,
        span: span_of(p),
    }
}

/// `expr`: OR of ANDs.
fn expr(p: Pair<'_>) -> Result<Expr> {
    fold(p, Rule::and_expr, and_expr, |a, b| {
        ExprKind::Or(Box::new(a), Box::new(b))
    })
}

fn and_expr(p: Pair<'_>) -> Result<Expr> {
    fold(p, Rule::not_expr, not_expr, |a, b| {
        ExprKind::And(Box::new(a), Box::new(b))
    })
}

/// Left-folds the `rule` children of `p` with `join`.
fn fold(
    p: Pair<'_>,
    rule: Rule,
    child: fn(Pair<'_>) -> Result<Expr>,
    join: fn(Expr, Expr) -> ExprKind,
) -> Result<Expr> {
    let whole = span_of(&p);
    let mut acc: Option<Expr> = None;
    for x in p.into_inner().filter(|x| x.as_rule() == rule) {
        let e = child(x)?;
        acc = Some(match acc {
            None => e,
            Some(a) => {
                let mut span = a.span;
                span.end = e.span.end;
                Expr {
                    kind: join(a, e),
                    span,
                }
            }
        });
    }
    acc.ok_or_else(|| DslError::parse("empty expression", whole))
}

fn not_expr(p: Pair<'_>) -> Result<Expr> {
    let span = span_of(&p);
    let mut negate = false;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::kw_not => negate = true,
            Rule::not_expr if negate => {
                let inner = not_expr(x)?;
                return Ok(Expr {
                    kind: ExprKind::Not(Box::new(inner)),
                    span,
                });
            }
            Rule::cmp_expr => return cmp_expr(x),
            _ => {}
        }
    }
    Err(DslError::parse("empty expression", span))
}

fn cmp_expr(p: Pair<'_>) -> Result<Expr> {
    let span = span_of(&p);
    let mut it = p.into_inner();
    let left = it
        .next()
        .map(primary)
        .transpose()?
        .ok_or_else(|| DslError::parse("empty expression", span))?;
    let Some(tail) = it.next() else {
        return Ok(left);
    };
    let parts: Vec<Pair<'_>> = tail.into_inner().collect();
    let negated = parts.iter().any(|x| x.as_rule() == Rule::kw_not);
    let has = |r: Rule| parts.iter().any(|x| x.as_rule() == r);
    let left = Box::new(left);
    let kind = if has(Rule::cmp_op) {
        let op = match parts[0].as_str() {
            "=" => CmpOp::Eq,
            "<>" | "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        let right = primary(parts[1].clone())?;
        ExprKind::Cmp(op, left, Box::new(right))
    } else if has(Rule::kw_is) {
        ExprKind::IsNull {
            expr: left,
            negated,
        }
    } else if has(Rule::kw_in) {
        let list = parts
            .into_iter()
            .filter(|x| x.as_rule() == Rule::expr)
            .map(expr)
            .collect::<Result<_>>()?;
        ExprKind::In {
            expr: left,
            list,
            negated,
        }
    } else {
        let pat = parts
            .into_iter()
            .find(|x| x.as_rule() == Rule::primary)
            .map(primary)
            .transpose()?
            .ok_or_else(|| DslError::parse("LIKE needs a pattern", span))?;
        ExprKind::Like {
            expr: left,
            pattern: Box::new(pat),
            negated,
        }
    };
    Ok(Expr { kind, span })
}

fn primary(p: Pair<'_>) -> Result<Expr> {
    let span = span_of(&p);
    let x = p
        .into_inner()
        .next()
        .ok_or_else(|| DslError::parse("empty expression", span))?;
    match x.as_rule() {
        Rule::expr => expr(x),
        Rule::column => Ok(node(ExprKind::Column(x.as_str().to_string()), &x)),
        Rule::sel_literal => literal(x),
        Rule::func_call => call(x),
        _ => Err(DslError::parse("unexpected expression", span)),
    }
}

fn call(p: Pair<'_>) -> Result<Expr> {
    let span = span_of(&p);
    let mut name = Spanned::default();
    let (mut args, mut star, mut distinct) = (Vec::new(), false, false);
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::ident => name = spanned(&x, x.as_str().to_string()),
            Rule::sel_star => star = true,
            Rule::kw_distinct => distinct = true,
            Rule::expr => args.push(expr(x)?),
            _ => {}
        }
    }
    Ok(Expr {
        kind: ExprKind::Call {
            name,
            args,
            star,
            distinct,
        },
        span,
    })
}

fn literal(p: Pair<'_>) -> Result<Expr> {
    let span = span_of(&p);
    let x = p
        .into_inner()
        .next()
        .ok_or_else(|| DslError::parse("empty literal", span))?;
    let lit = if x.as_str() == "?" {
        match params::value_at(super::origin::offset(x.as_span().start()), span)? {
            Param::Str(s) => Lit::Text(s),
            Param::Int(i) => Lit::Int(i),
            Param::Float(f) => Lit::Float(f),
            Param::Bool(b) => Lit::Bool(b),
        }
    } else {
        match x.as_rule() {
            Rule::kw_null => Lit::Null,
            Rule::boolean => Lit::Bool(x.as_str().eq_ignore_ascii_case("true")),
            Rule::string => Lit::Text(string(x).node),
            _ => number(x.as_str(), span)?,
        }
    };
    Ok(Expr {
        kind: ExprKind::Lit(lit),
        span,
    })
}

fn number(s: &str, span: crate::ast::Span) -> Result<Lit> {
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Lit::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Lit::Float)
        .ok_or_else(|| DslError::semantic(format!("'{s}' is not a number this can hold"), span))
}
