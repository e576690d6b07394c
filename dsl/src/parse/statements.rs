//! One builder per statement rule.

use super::clauses::*;
use super::{Pair, Rule, span_of};
use crate::ast::*;
use crate::error::{DslError, Result};

/// Builds a statement from a `statement` pair.
pub(crate) fn build(p: Pair<'_>) -> Result<Statement> {
    let span = span_of(&p);
    let text = p.as_str().trim().to_string();
    let Some(inner) = p.into_inner().next() else {
        return Err(DslError::parse("empty statement", span));
    };
    let kind = match inner.as_rule() {
        Rule::load_catalogue => load_catalogue(inner)?,
        Rule::import_graph => import_graph(inner)?,
        Rule::export_graph | Rule::export_dataset => export(inner)?,
        Rule::generate_graph => StatementKind::Generate(generate(inner)?),
        Rule::explain_generate => {
            let g = inner
                .into_inner()
                .find(|x| x.as_rule() == Rule::generate_graph)
                .ok_or_else(|| DslError::parse("EXPLAIN needs a GENERATE statement", span))?;
            StatementKind::ExplainGenerate(generate(g)?)
        }
        Rule::compare_graph => compare(inner)?,
        Rule::check_graph => check(inner)?,
        Rule::check_database => StatementKind::CheckDatabase,
        Rule::diagnose => StatementKind::Diagnose(diagnose(inner)?),
        Rule::sample => StatementKind::Sample(sample(inner)?),
        Rule::show => show(inner),
        Rule::describe => describe(inner)?,
        Rule::drop_stmt => drop_stmt(inner)?,
        Rule::select_stmt => super::select::build(inner)?,
        Rule::import_evaluations => StatementKind::ImportEvaluations {
            path: significant(inner).next().map(string).unwrap_or_else(empty),
        },
        Rule::show_leaderboard => StatementKind::ShowLeaderboard(board(inner)?),
        Rule::show_evaluations => StatementKind::ShowEvaluations(board(inner)?),
        Rule::drop_evaluation => drop_evaluation(inner),
        Rule::evaluate_baseline => evaluate_baseline(inner, span)?,
        other => {
            return Err(DslError::parse(format!("unexpected {other:?}"), span));
        }
    };
    Ok(Statement { kind, text, span })
}

fn significant(p: Pair<'_>) -> impl Iterator<Item = Pair<'_>> {
    p.into_inner()
        .filter(|x| !format!("{:?}", x.as_rule()).starts_with("kw_"))
}

fn load_catalogue(p: Pair<'_>) -> Result<StatementKind> {
    let mut it = significant(p);
    let name = it.next().map(name_of).unwrap_or_default();
    let path = it.next().map(string).unwrap_or_else(empty);
    Ok(StatementKind::LoadCatalogue { name, path })
}

fn name_of(p: Pair<'_>) -> Spanned<String> {
    name(p)
}

fn empty() -> Spanned<String> {
    Spanned {
        node: String::new(),
        span: Span::default(),
    }
}

impl Default for Spanned<String> {
    fn default() -> Self {
        empty()
    }
}

fn import_graph(p: Pair<'_>) -> Result<StatementKind> {
    let mut it = significant(p);
    let name = it.next().map(name_of).unwrap_or_default();
    let path = it.next().map(string).unwrap_or_default();
    let catalogue = it.next().map(obj_ref).transpose()?;
    Ok(StatementKind::ImportGraph {
        name,
        path,
        catalogue,
    })
}

fn export(p: Pair<'_>) -> Result<StatementKind> {
    let is_graph = p.as_rule() == Rule::export_graph;
    let span = span_of(&p);
    let mut it = significant(p);
    let target = it
        .next()
        .map(obj_ref)
        .transpose()?
        .ok_or_else(|| DslError::parse("missing name", span))?;
    let path = it.next().map(string).unwrap_or_default();
    let (mut format, mut split, mut options) = (None, None, None);
    for clause in it {
        let cspan = span_of(&clause);
        let (what, taken) = match clause.as_rule() {
            Rule::format_clause => ("FORMAT", format.is_some()),
            Rule::split_clause => ("SPLIT", split.is_some()),
            _ => ("WITH", options.is_some()),
        };
        if taken {
            return Err(DslError::semantic(format!("{what} is given twice"), cspan)
                .hint(format!("give one {what} clause")));
        }
        match clause.as_rule() {
            Rule::format_clause => {
                format = clause
                    .into_inner()
                    .find(|x| x.as_rule() == Rule::ident)
                    .map(|x| spanned(&x, x.as_str().to_ascii_lowercase()));
            }
            Rule::split_clause => split = Some(split_clause(clause)?),
            _ => options = Some(with_clause(clause)?),
        }
    }
    Ok(if is_graph {
        StatementKind::ExportGraph {
            graph: target,
            path,
            format,
        }
    } else {
        StatementKind::ExportDataset {
            dataset: target,
            path,
            format,
            split,
            options: options.unwrap_or_default(),
        }
    })
}

/// `SPLIT (name fraction, ...) [SEED n]`: two or more distinct parts, each
/// fraction in (0, 1], summing to 1 within 1e-9.
fn split_clause(p: Pair<'_>) -> Result<SplitClause> {
    let span = span_of(&p);
    let (mut parts, mut seed) = (Vec::<SplitPart>::new(), None);
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::split_part => {
                let mut kv = x.into_inner();
                let (Some(n), Some(f)) = (kv.next(), kv.next()) else {
                    continue;
                };
                let name = spanned(&n, n.as_str().to_string());
                let fraction = spanned(&f, number(&f)?);
                if let Some(prev) = parts.iter().find(|q| q.name.node == name.node) {
                    return Err(DslError::semantic(
                        format!("split part '{}' is listed twice", name.node),
                        name.span,
                    )
                    .hint(format!(
                        "first listed at {}:{}",
                        prev.name.span.line, prev.name.span.col
                    )));
                }
                if !(fraction.node > 0.0 && fraction.node <= 1.0) {
                    return Err(DslError::semantic(
                        format!("split fraction {} is outside (0, 1]", fraction.node),
                        fraction.span,
                    )
                    .hint("each part takes a fraction above 0 and at most 1"));
                }
                parts.push(SplitPart { name, fraction });
            }
            Rule::seed_clause => {
                if let Some(n) = x
                    .clone()
                    .into_inner()
                    .find(|y| y.as_rule() == Rule::integer)
                {
                    seed = Some(spanned(&x, integer(&n)?));
                }
            }
            _ => {}
        }
    }
    if parts.len() < 2 {
        return Err(DslError::semantic("SPLIT needs at least two parts", span)
            .hint("e.g. SPLIT (train 0.8, validation 0.1, test 0.1)"));
    }
    let sum: f64 = parts.iter().map(|q| q.fraction.node).sum();
    if (sum - 1.0).abs() > 1e-9 {
        return Err(
            DslError::semantic(format!("split fractions sum to {sum}, not 1"), span)
                .hint("make the fractions add up to 1, e.g. (train 0.8, validation 0.1, test 0.1)"),
        );
    }
    Ok(SplitClause { parts, seed, span })
}

fn generate(p: Pair<'_>) -> Result<Generate> {
    let span = span_of(&p);
    let mut it = significant(p);
    let name = it.next().map(name_of).unwrap_or_default();
    let catalogue = it
        .next()
        .map(obj_ref)
        .transpose()?
        .ok_or_else(|| DslError::parse("missing catalogue", span))?;
    let strat = it
        .next()
        .ok_or_else(|| DslError::parse("missing strategy", span))?;
    let strategy = match strat.as_str().to_ascii_uppercase().as_str() {
        "BRUTE_FORCE" | "BRUTEFORCE" => Strategy::BruteForce,
        "CLUSTER" | "CLUSTER_FIRST" => Strategy::Cluster,
        other => {
            return Err(
                DslError::semantic(format!("unknown strategy '{other}'"), span_of(&strat))
                    .hint("USING BRUTE_FORCE or USING CLUSTER"),
            );
        }
    };
    let strategy = spanned(&strat, strategy);
    let options = match it.next() {
        Some(w) => with_clause(w)?,
        None => Vec::new(),
    };
    Ok(Generate {
        name,
        catalogue,
        strategy,
        options,
    })
}

fn compare(p: Pair<'_>) -> Result<StatementKind> {
    let span = span_of(&p);
    let mut a = None;
    let mut b = None;
    let mut detail = false;
    for x in significant(p) {
        match x.as_rule() {
            Rule::obj_ref if a.is_none() => a = Some(obj_ref(x)?),
            Rule::obj_ref => b = Some(obj_ref(x)?),
            Rule::detail => detail = true,
            _ => {}
        }
    }
    match (a, b) {
        (Some(a), Some(b)) => Ok(StatementKind::CompareGraph { a, b, detail }),
        _ => Err(DslError::parse("COMPARE GRAPH a WITH b", span)),
    }
}

fn check(p: Pair<'_>) -> Result<StatementKind> {
    let span = span_of(&p);
    let mut it = significant(p);
    let graph = it
        .next()
        .map(obj_ref)
        .transpose()?
        .ok_or_else(|| DslError::parse("missing graph", span))?;
    let path = it.next().map(string).unwrap_or_default();
    Ok(StatementKind::CheckGraph { graph, path })
}

fn diagnose(p: Pair<'_>) -> Result<Diagnose> {
    let span = span_of(&p);
    let mut graph = None;
    let mut types = Vec::new();
    let mut samples = None;
    let mut seed = None;
    let mut options = Vec::new();
    for x in significant(p) {
        match x.as_rule() {
            Rule::obj_ref => graph = Some(obj_ref(x)?),
            Rule::types_clause => types = types_clause(x)?,
            Rule::samples_clause | Rule::seed_clause => {
                let is_samples = x.as_rule() == Rule::samples_clause;
                let xs = span_of(&x);
                let n = x
                    .into_inner()
                    .find(|i| i.as_rule() == Rule::integer)
                    .ok_or_else(|| DslError::parse("missing number", xs))?;
                let v = Spanned {
                    node: integer(&n)?,
                    span: span_of(&n),
                };
                let slot = if is_samples { &mut samples } else { &mut seed };
                if slot.is_some() {
                    return Err(DslError::semantic("clause given twice", xs));
                }
                *slot = Some(v);
            }
            Rule::with_clause => options = with_clause(x)?,
            _ => {}
        }
    }
    let graph = graph.ok_or_else(|| DslError::parse("missing graph", span))?;
    Ok(Diagnose {
        graph,
        types,
        samples,
        seed,
        options,
    })
}

fn sample(p: Pair<'_>) -> Result<Sample> {
    let span = span_of(&p);
    let mut total = None;
    let mut graph = None;
    let mut types = Vec::new();
    let mut labels = Vec::new();
    let mut short_where = None;
    let mut favour = Vec::new();
    let mut avoid = Vec::new();
    let mut options = Vec::new();
    let mut into = None;
    for x in significant(p) {
        match x.as_rule() {
            Rule::integer => {
                total = Some(Spanned {
                    node: integer(&x)?,
                    span: span_of(&x),
                })
            }
            Rule::obj_ref => graph = Some(obj_ref(x)?),
            Rule::types_clause => types = types_clause(x)?,
            Rule::label_clause => labels.push(label_clause(x)?),
            Rule::where_clause => short_where = Some((span_of(&x), where_clause(x)?)),
            Rule::favour_clause => favour = modality_pairs(x),
            Rule::avoid_clause => avoid = modality_pairs(x),
            Rule::with_clause => options = with_clause(x)?,
            Rule::name => into = Some(name(x)),
            _ => {}
        }
    }
    let total = total.ok_or_else(|| DslError::parse("missing row count", span))?;
    if total.node == 0 {
        return Err(
            DslError::semantic("SAMPLE needs at least one row", total.span)
                .hint("write the number of rows to sample, e.g. SAMPLE 1000 FROM g ..."),
        );
    }
    let graph = graph.ok_or_else(|| DslError::parse("missing graph", span))?;
    let into = into.ok_or_else(|| DslError::parse("missing INTO name", span))?;
    let short_form = short_where.is_some();
    if let Some((wspan, conditions)) = short_where {
        labels.push(LabelClause {
            name: Spanned {
                node: "default".into(),
                span: wspan,
            },
            count: total.node,
            conditions,
            span: wspan,
        });
    }
    for (i, l) in labels.iter().enumerate() {
        if let Some(prev) = labels[..i].iter().find(|p| p.name.node == l.name.node) {
            return Err(DslError::semantic(
                format!("label '{}' is defined twice", l.name.node),
                l.name.span,
            )
            .hint(format!(
                "first defined at {}:{}",
                prev.span.line, prev.span.col
            )));
        }
    }
    let sum: u64 = labels.iter().map(|l| l.count).sum();
    if sum != total.node {
        return Err(DslError::semantic(
            format!(
                "the label COUNTs add up to {sum}, not to the {} rows requested",
                total.node
            ),
            total.span,
        )
        .hint("make the COUNTs add up to the SAMPLE total"));
    }
    Ok(Sample {
        total,
        graph,
        types,
        labels,
        short_form,
        favour,
        avoid,
        options,
        into,
    })
}

fn label_clause(p: Pair<'_>) -> Result<LabelClause> {
    let span = span_of(&p);
    let mut name = None;
    let mut count = 0;
    let mut conditions = Vec::new();
    for x in significant(p) {
        match x.as_rule() {
            Rule::label_name => {
                let inner = x.into_inner().next();
                name = inner.map(|i| {
                    if i.as_rule() == Rule::string {
                        string(i)
                    } else {
                        spanned(&i, i.as_str().to_string())
                    }
                });
            }
            Rule::integer => count = integer(&x)?,
            Rule::where_clause => conditions = where_clause(x)?,
            _ => {}
        }
    }
    let name = name.ok_or_else(|| DslError::parse("missing label name", span))?;
    Ok(LabelClause {
        name,
        count,
        conditions,
        span,
    })
}

fn show(p: Pair<'_>) -> StatementKind {
    let Some(x) = significant(p).next() else {
        return StatementKind::Show(valence_engine::Kind::Graph);
    };
    match x.as_rule() {
        Rule::versions => {
            let mut k = valence_engine::Kind::Graph;
            let mut n = empty();
            for y in significant(x) {
                match y.as_rule() {
                    Rule::kind => k = kind(&y),
                    Rule::name => n = name(y),
                    _ => {}
                }
            }
            StatementKind::ShowVersions { kind: k, name: n }
        }
        _ => StatementKind::Show(kind(&x)),
    }
}

fn describe(p: Pair<'_>) -> Result<StatementKind> {
    let span = span_of(&p);
    let mut it = significant(p);
    let k = it
        .next()
        .map(|x| kind(&x))
        .unwrap_or(valence_engine::Kind::Graph);
    let target = it
        .next()
        .map(obj_ref)
        .transpose()?
        .ok_or_else(|| DslError::parse("missing name", span))?;
    Ok(StatementKind::Describe { kind: k, target })
}

fn drop_stmt(p: Pair<'_>) -> Result<StatementKind> {
    let span = span_of(&p);
    let mut k = valence_engine::Kind::Graph;
    let mut if_exists = false;
    let mut target = None;
    for x in significant(p) {
        match x.as_rule() {
            Rule::kind => k = kind(&x),
            Rule::if_exists => if_exists = true,
            Rule::obj_ref => target = Some(obj_ref(x)?),
            _ => {}
        }
    }
    let target = target.ok_or_else(|| DslError::parse("missing name", span))?;
    Ok(StatementKind::Drop {
        kind: k,
        target,
        if_exists,
    })
}

fn board(p: Pair<'_>) -> Result<Board> {
    let mut b = Board::default();
    let Some(filters) = significant(p).next() else {
        return Ok(b);
    };
    for f in filters.into_inner() {
        let rule = f.as_rule();
        let mut parts = f.into_inner();
        match rule {
            Rule::board_for => {
                b.dataset = parts
                    .find(|x| x.as_rule() == Rule::obj_ref)
                    .map(obj_ref)
                    .transpose()?;
            }
            Rule::board_by => {
                for x in parts {
                    match x.as_rule() {
                        Rule::ident => b.metric = Some(name(x)),
                        Rule::kw_asc => b.ascending = true,
                        _ => {}
                    }
                }
            }
            Rule::board_tag => {
                let key = parts.find(|x| x.as_rule() == Rule::ident).map(name);
                let value = parts.find(|x| x.as_rule() == Rule::string).map(string);
                b.tag = key.zip(value);
            }
            Rule::board_limit => {
                if let Some(n) = parts.find(|x| x.as_rule() == Rule::integer) {
                    b.limit = Some(integer(&n)?);
                }
            }
            _ => {}
        }
    }
    Ok(b)
}

fn drop_evaluation(p: Pair<'_>) -> StatementKind {
    let mut if_exists = false;
    let mut run_id = empty();
    for x in significant(p) {
        match x.as_rule() {
            Rule::if_exists => if_exists = true,
            Rule::string => run_id = string(x),
            Rule::ident => run_id = name(x),
            _ => {}
        }
    }
    StatementKind::DropEvaluation { run_id, if_exists }
}

fn evaluate_baseline(p: Pair<'_>, span: Span) -> Result<StatementKind> {
    let (mut dataset, mut split) = (None, None);
    for x in significant(p) {
        match x.as_rule() {
            Rule::obj_ref => dataset = Some(obj_ref(x)?),
            Rule::split_clause => split = Some(split_clause(x)?),
            _ => {}
        }
    }
    let dataset = dataset.ok_or_else(|| DslError::parse("missing dataset", span))?;
    Ok(StatementKind::EvaluateBaseline { dataset, split })
}
