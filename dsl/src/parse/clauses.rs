//! Builders for the clauses shared by several statements: names, references,
//! strings, numbers, TYPES, WHERE, WITH, FAVOUR/AVOID.

use valence_engine::{Kind, ObjRef};

use super::params::{self, Param};
use super::{Pair, Rule, span_of};
use crate::ast::*;
use crate::error::{DslError, Result};

pub(crate) fn spanned<T>(p: &Pair<'_>, node: T) -> Spanned<T> {
    Spanned {
        node,
        span: span_of(p),
    }
}

pub(crate) fn name(p: Pair<'_>) -> Spanned<String> {
    spanned(&p, p.as_str().to_string())
}

pub(crate) fn obj_ref(p: Pair<'_>) -> Result<Ref> {
    let span = span_of(&p);
    let mut inner = p.into_inner();
    let name = inner
        .next()
        .map(|n| n.as_str().to_string())
        .unwrap_or_default();
    let version = match inner.next() {
        Some(v) => {
            let n: u32 = v.as_str().parse().map_err(|_| {
                DslError::semantic(
                    format!("version '{}' is too large", v.as_str()),
                    span_of(&v),
                )
            })?;
            if n == 0 {
                return Err(DslError::semantic("versions start at 1", span_of(&v))
                    .hint("write `name@1` for the first version, or `name` for the latest"));
            }
            Some(n)
        }
        None => None,
    };
    Ok(Spanned {
        node: ObjRef { name, version },
        span,
    })
}

/// The byte offset of `p` when it is a `?` placeholder.
fn placeholder(p: &Pair<'_>) -> Option<usize> {
    (p.as_str() == "?").then(|| super::origin::offset(p.as_span().start()))
}

/// The text of a `'...'` string with `''` unescaped (or a parameter's).
pub(crate) fn string(p: Pair<'_>) -> Spanned<String> {
    let span = span_of(&p);
    if let Some(pos) = placeholder(&p) {
        return Spanned {
            node: params::string_at(pos),
            span,
        };
    }
    let inner = p
        .into_inner()
        .next()
        .map(|s| s.as_str().replace("''", "'"))
        .unwrap_or_default();
    Spanned { node: inner, span }
}

pub(crate) fn integer(p: &Pair<'_>) -> Result<u64> {
    if let Some(pos) = placeholder(p) {
        return params::integer_at(pos, span_of(p));
    }
    p.as_str()
        .parse()
        .map_err(|_| DslError::semantic(format!("'{}' is too large", p.as_str()), span_of(p)))
}

pub(crate) fn number(p: &Pair<'_>) -> Result<f64> {
    if let Some(pos) = placeholder(p) {
        return params::number_at(pos, span_of(p));
    }
    p.as_str()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| DslError::semantic(format!("'{}' is not a number", p.as_str()), span_of(p)))
}

pub(crate) fn modality(p: Pair<'_>) -> Spanned<String> {
    let span = span_of(&p);
    match p.into_inner().next() {
        Some(inner) if inner.as_rule() == Rule::string => string(inner),
        Some(inner) => Spanned {
            node: inner.as_str().to_string(),
            span,
        },
        None => Spanned {
            node: String::new(),
            span,
        },
    }
}

pub(crate) fn kind(p: &Pair<'_>) -> Kind {
    let first = p.clone().into_inner().next().map(|x| x.as_rule());
    match first {
        Some(Rule::kw_catalogue) | Some(Rule::kw_catalogues) => Kind::Catalogue,
        Some(Rule::kw_graph) | Some(Rule::kw_graphs) => Kind::Graph,
        _ => Kind::Dataset,
    }
}

pub(crate) fn types_clause(p: Pair<'_>) -> Result<Vec<TypeRange>> {
    let mut out: Vec<TypeRange> = Vec::new();
    for q in p.into_inner().filter(|q| q.as_rule() == Rule::type_quota) {
        let span = span_of(&q);
        let mut it = q.into_inner();
        let (Some(m), Some(r)) = (it.next(), it.next()) else {
            continue;
        };
        let m = modality(m);
        let r_span = span_of(&r);
        let mut nums = r.into_inner();
        let (Some(lo), Some(hi)) = (nums.next(), nums.next()) else {
            continue;
        };
        let (lo, hi) = (integer(&lo)?, integer(&hi)?);
        if lo > hi {
            return Err(DslError::semantic(
                format!("range [{lo},{hi}] of '{}' has min above max", m.node),
                r_span,
            )
            .hint("write [min, max] with min <= max"));
        }
        if hi > u32::MAX as u64 {
            return Err(DslError::semantic("range too large", r_span));
        }
        if let Some(prev) = out.iter().find(|t| t.modality.node == m.node) {
            return Err(DslError::semantic(
                format!("modality '{}' is listed twice in TYPES", m.node),
                m.span,
            )
            .hint(format!(
                "first listed at {}:{}",
                prev.span.line, prev.span.col
            )));
        }
        out.push(TypeRange {
            modality: m,
            min: lo as u32,
            max: hi as u32,
            span,
        });
    }
    Ok(out)
}

pub(crate) fn where_clause(p: Pair<'_>) -> Result<Vec<Condition>> {
    let mut out: Vec<Condition> = Vec::new();
    for c in p.into_inner().filter(|c| c.as_rule() == Rule::condition) {
        let span = span_of(&c);
        let mut it = c.into_inner().filter(|x| x.as_rule() != Rule::kw_in);
        let (Some(metric), Some(range)) = (it.next(), it.next()) else {
            continue;
        };
        let m = match metric.as_str().to_ascii_lowercase().as_str() {
            "pos_frac" => FracMetric::Pos,
            "neg_frac" => FracMetric::Neg,
            other => {
                return Err(DslError::semantic(
                    format!("unknown edge fraction '{other}'"),
                    span_of(&metric),
                )
                .hint("a label is bounded by `pos_frac IN [a,b]` and/or `neg_frac IN [c,d]`"));
            }
        };
        let r_span = span_of(&range);
        let mut nums = range.into_inner();
        let (Some(lo), Some(hi)) = (nums.next(), nums.next()) else {
            continue;
        };
        let (lo, hi) = (number(&lo)?, number(&hi)?);
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) {
            return Err(DslError::semantic(
                format!(
                    "range [{}, {}] leaves [0, 1]",
                    crate::table::compact_number(lo),
                    crate::table::compact_number(hi)
                ),
                r_span,
            )
            .hint("edge fractions lie between 0 and 1"));
        }
        if lo > hi {
            return Err(DslError::semantic(
                format!(
                    "range [{}, {}] has min above max",
                    crate::table::compact_number(lo),
                    crate::table::compact_number(hi)
                ),
                r_span,
            )
            .hint("write [min, max] with min <= max"));
        }
        if out.iter().any(|x| x.metric == m) {
            return Err(DslError::semantic(
                format!("{} is bounded twice", metric.as_str()),
                span,
            ));
        }
        out.push(Condition {
            metric: m,
            lo,
            hi,
            span,
        });
    }
    Ok(out)
}

pub(crate) fn with_clause(p: Pair<'_>) -> Result<Vec<OptionKv>> {
    let mut out: Vec<OptionKv> = Vec::new();
    for o in p.into_inner().filter(|o| o.as_rule() == Rule::option) {
        let mut it = o.into_inner();
        let (Some(k), Some(v)) = (it.next(), it.next()) else {
            continue;
        };
        let key = spanned(&k, k.as_str().to_ascii_lowercase());
        if let Some(prev) = out.iter().find(|x| x.key.node == key.node) {
            return Err(DslError::semantic(
                format!("option '{}' is given twice", key.node),
                key.span,
            )
            .hint(format!(
                "first given at {}:{}",
                prev.key.span.line, prev.key.span.col
            )));
        }
        let lit_span = span_of(&v);
        let inner = v.into_inner().next();
        let value = match inner {
            Some(x) => match x.as_rule() {
                Rule::string if placeholder(&x).is_some() => {
                    let pos = placeholder(&x).unwrap_or_default();
                    match params::value_at(pos, span_of(&x))? {
                        Param::Str(s) => Literal::Str(s),
                        Param::Int(i) => Literal::Int(i),
                        Param::Float(f) => Literal::Float(f),
                        Param::Bool(b) => Literal::Bool(b),
                    }
                }
                Rule::string => Literal::Str(string(x).node),
                Rule::boolean => Literal::Bool(x.as_str().eq_ignore_ascii_case("true")),
                Rule::number => {
                    let s = x.as_str();
                    if s.contains(['.', 'e', 'E']) {
                        Literal::Float(number(&x)?)
                    } else {
                        match s.parse::<i64>() {
                            Ok(i) => Literal::Int(i),
                            Err(_) => Literal::Float(number(&x)?),
                        }
                    }
                }
                _ => Literal::Ident(x.as_str().to_string()),
            },
            None => Literal::Ident(String::new()),
        };
        out.push(OptionKv {
            key,
            value: Spanned {
                node: value,
                span: lit_span,
            },
        });
    }
    Ok(out)
}

pub(crate) fn modality_pairs(p: Pair<'_>) -> Vec<ModalityPair> {
    p.into_inner()
        .filter(|x| x.as_rule() == Rule::modality_pair)
        .map(|x| {
            let span = span_of(&x);
            let mut it = x.into_inner();
            let a = it.next().map(|m| modality(m).node).unwrap_or_default();
            let b = it.next().map(|m| modality(m).node).unwrap_or_default();
            Spanned { node: (a, b), span }
        })
        .collect()
}
