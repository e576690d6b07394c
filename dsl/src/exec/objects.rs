//! LOAD CATALOGUE, IMPORT GRAPH, SHOW, SHOW VERSIONS, DROP.

use std::path::Path;

use valence_engine::format_utc;
use valence_engine::{Ctx, Engine, Kind, ObjRef};

use super::at;
use crate::ast::{Ref, Span, Spanned, Statement};
use crate::error::{DslError, Places, Result};
use crate::table::Table;

/// `LOAD CATALOGUE name FROM 'path'`.
pub(crate) fn load_catalogue(
    e: &Engine,
    stmt: &Statement,
    name: &Spanned<String>,
    path: &Spanned<String>,
    ctx: &Ctx,
) -> Result<Vec<Table>> {
    let w = e
        .load_catalogue_with(&name.node, Path::new(&path.node), &stmt.text, ctx)
        .map_err(at(path.span))?;
    let (_, cat) = e
        .catalogue(&ObjRef::at(&w.name, w.version))
        .map_err(at(stmt.span))?;
    let mut t = Table::new(&["catalogue", "version", "modalities", "attributes"]);
    t.push(vec![
        w.name.into(),
        w.version.into(),
        cat.modalities().len().into(),
        cat.attributes().len().into(),
    ]);
    Ok(vec![t])
}

/// `IMPORT GRAPH name FROM 'path' [CATALOGUE c]`.
pub(crate) fn import_graph(
    e: &Engine,
    stmt: &Statement,
    name: &Spanned<String>,
    path: &Spanned<String>,
    catalogue: Option<&Ref>,
    ctx: &Ctx,
) -> Result<Vec<Table>> {
    let cref = catalogue.map(|c| &c.node);
    // A missing or damaged catalogue: at its name; anything else: at the path.
    let mut places = Places::new().file(path.span);
    if let Some(c) = catalogue {
        places = places.object(c.span);
    }
    let (w, st) = e
        .import_graph_with(&name.node, Path::new(&path.node), cref, &stmt.text, ctx)
        .map_err(|err| places.error(err, path.span))?;
    let (_, g) = e
        .graph(&ObjRef::at(&w.name, w.version))
        .map_err(at(stmt.span))?;
    let mut t = Table::new(&[
        "graph",
        "version",
        "nodes",
        "positive",
        "negative",
        "neutral_dropped",
        "duplicates",
    ]);
    t.push(vec![
        w.name.into(),
        w.version.into(),
        g.node_count().into(),
        st.pos.into(),
        st.neg.into(),
        st.neutral.into(),
        st.duplicates.into(),
    ]);
    Ok(vec![t])
}

/// `SHOW CATALOGUES | GRAPHS | DATASETS`: the latest version of each name.
pub(crate) fn show(e: &Engine, kind: Kind, stmt: Span) -> Result<Vec<Table>> {
    let list = e.list(kind).map_err(at(stmt))?;
    let mut t = Table::new(&["name", "version", "versions", "created", "summary"]);
    for o in list {
        t.push(vec![
            o.name.into(),
            o.latest.into(),
            o.versions.into(),
            format_utc(o.manifest.created).into(),
            o.manifest.summary.into(),
        ]);
    }
    Ok(vec![t])
}

/// `SHOW VERSIONS OF kind name`.
pub(crate) fn show_versions(e: &Engine, kind: Kind, name: &Spanned<String>) -> Result<Vec<Table>> {
    let vs = e.versions(kind, &name.node).map_err(at(name.span))?;
    let mut t = Table::new(&["version", "created", "summary", "statement"]);
    for (v, m) in vs {
        t.push(vec![
            v.into(),
            format_utc(m.created).into(),
            m.summary.into(),
            m.statement.into(),
        ]);
    }
    Ok(vec![t])
}

/// `DROP kind [IF EXISTS] name[@N]`.
pub(crate) fn drop(e: &Engine, kind: Kind, target: &Ref, if_exists: bool) -> Result<Vec<Table>> {
    let n = match e.drop_object(kind, &target.node) {
        Ok(n) => n,
        Err(valence_engine::Error::NotFound { .. }) if if_exists => 0,
        Err(err) => return Err(DslError::engine(err, target.span)),
    };
    let mut t = Table::new(&["dropped", "name", "versions"]);
    t.push(vec![
        kind.as_str().into(),
        target.node.to_string().into(),
        n.into(),
    ]);
    Ok(vec![t])
}
