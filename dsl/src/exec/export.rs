//! EXPORT GRAPH and EXPORT DATASET.

use std::path::Path;

use valence_engine::{
    DatasetFormat, Engine, ExportOptions, GraphFormat, Split, resolve_dataset_format,
    resolve_graph_format,
};

use super::at;
use super::opts::Given;
use crate::ast::{OptionKv, Ref, Spanned, SplitClause};
use crate::error::{DslError, Places, Result};
use crate::options::{self, WithStatement};
use crate::table::Table;

/// An engine error about the object (missing, damaged) at `name`'s span,
/// anything else (I/O, the target, the split) at the path's.
fn located(name: &Ref, path: &Spanned<String>) -> impl Fn(valence_engine::Error) -> DslError {
    let (places, fallback) = (Places::new().object(name.span).file(path.span), path.span);
    move |err| places.error(err, fallback)
}

/// `EXPORT GRAPH g TO 'path' [FORMAT f]`.
pub(crate) fn export_graph(
    e: &Engine,
    graph: &Ref,
    path: &Spanned<String>,
    format: Option<&Spanned<String>>,
) -> Result<Vec<Table>> {
    let explicit = format
        .map(|f| GraphFormat::parse(&f.node).map_err(at(f.span)))
        .transpose()?;
    let p = Path::new(&path.node);
    resolve_graph_format(p, explicit).map_err(at(format.map_or(path.span, |f| f.span)))?;
    let r = e
        .export_graph(&graph.node, p, explicit)
        .map_err(located(graph, path))?;
    let mut t = Table::new(&["graph", "version", "path", "format", "edges"]);
    t.push(vec![
        graph.node.name.clone().into(),
        r.version.into(),
        path.node.clone().into(),
        r.format.name().into(),
        r.edges.into(),
    ]);
    Ok(vec![t])
}

/// `EXPORT DATASET d TO 'path' [FORMAT f] [SPLIT (...)] [WITH (...)]`.
pub(crate) fn export_dataset(
    e: &Engine,
    dataset: &Ref,
    path: &Spanned<String>,
    format: Option<&Spanned<String>>,
    split: Option<&SplitClause>,
    options: &[OptionKv],
) -> Result<Vec<Table>> {
    let given = Given::new(options, WithStatement::ExportDataset)?;
    let explicit = format
        .map(|f| DatasetFormat::parse(&f.node).map_err(at(f.span)))
        .transpose()?;
    let p = Path::new(&path.node);
    resolve_dataset_format(p, explicit).map_err(at(format.map_or(path.span, |f| f.span)))?;
    let split_spec = split.map(|s| Split {
        parts: s
            .parts
            .iter()
            .map(|q| (q.name.node.clone(), q.fraction.node))
            .collect(),
        seed: s.seed.as_ref().map_or(0, |x| x.node),
    });
    if let (Some(s), Some(c)) = (&split_spec, split) {
        s.check().map_err(at(c.span))?;
    }
    let mut options = ExportOptions {
        format: explicit,
        split: split_spec,
        ..ExportOptions::default()
    };
    given.apply(options::EXPORT_DATASET, &mut options)?;
    let r = e
        .export_dataset(&dataset.node, p, &options)
        .map_err(located(dataset, path))?;
    let split_cols = ["dataset", "version", "part", "path", "format", "rows"];
    let mut t = if split.is_some() {
        Table::new(&split_cols)
    } else {
        Table::new(&["dataset", "version", "path", "format", "rows"])
    };
    for f in &r.files {
        let mut row = vec![dataset.node.name.clone().into(), r.version.into()];
        if let Some(part) = &f.part {
            row.push(part.clone().into());
        }
        row.push(f.path.display().to_string().into());
        row.push(r.format.name().into());
        row.push(f.rows.into());
        t.push(row);
    }
    Ok(vec![t])
}
