//! Graph export: the edge CSV (re-importable), GraphML, Graphviz DOT and the
//! edge list as Parquet.

use std::path::Path;

use super::GraphFormat;
use crate::util::{Sink, write_output};
use crate::{NodeId, Result, Sign, SignedGraph};

/// Orients an edge: the endpoint whose modality comes first is the source.
pub(crate) fn oriented(g: &SignedGraph, a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    if g.modality_of(a) <= g.modality_of(b) {
        (a, b)
    } else {
        (b, a)
    }
}

/// Writes the graph in the requested format. The file is written to a
/// temporary sibling and renamed, so a failed export leaves no partial file.
pub fn write_graph(g: &SignedGraph, path: &Path, format: GraphFormat) -> Result<u64> {
    write_output(path, |w| match format {
        GraphFormat::Csv => write_csv(g, w),
        GraphFormat::GraphMl => write_graphml(g, w),
        GraphFormat::Dot => write_dot(g, w),
        GraphFormat::Parquet => super::parquet::write_edges(g, w),
    })
}

/// The edge list as (source, target, rel, sign) text, sources oriented as in
/// the edge CSV.
pub(crate) fn edge_rows(g: &SignedGraph) -> impl Iterator<Item = [String; 4]> + '_ {
    g.edges().map(move |(a, b, s)| {
        let (a, b) = oriented(g, a, b);
        [
            g.value(a).to_string(),
            g.value(b).to_string(),
            format!("{}_to_{}", g.modality_name(a), g.modality_name(b)),
            s.symbol().to_string(),
        ]
    })
}

fn write_csv(g: &SignedGraph, w: Sink<'_>) -> std::io::Result<u64> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(["source", "target", "rel", "sign"])?;
    let mut n = 0;
    for rec in edge_rows(g) {
        wr.write_record(&rec)?;
        n += 1;
    }
    wr.flush()?;
    Ok(n)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn write_graphml(g: &SignedGraph, w: Sink<'_>) -> std::io::Result<u64> {
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns">"#
    )?;
    writeln!(
        w,
        r#"  <key id="modality" for="node" attr.name="modality" attr.type="string"/>"#
    )?;
    writeln!(
        w,
        r#"  <key id="value" for="node" attr.name="value" attr.type="string"/>"#
    )?;
    writeln!(
        w,
        r#"  <key id="sign" for="edge" attr.name="sign" attr.type="string"/>"#
    )?;
    writeln!(w, r#"  <graph id="G" edgedefault="undirected">"#)?;
    for id in 0..g.node_count() as NodeId {
        writeln!(
            w,
            r#"    <node id="n{id}"><data key="modality">{}</data><data key="value">{}</data></node>"#,
            xml_escape(g.modality_name(id)),
            xml_escape(g.value(id))
        )?;
    }
    let mut n = 0;
    for (a, b, s) in g.edges() {
        writeln!(
            w,
            r#"    <edge source="n{a}" target="n{b}"><data key="sign">{}</data></edge>"#,
            s.symbol()
        )?;
        n += 1;
    }
    writeln!(w, "  </graph>\n</graphml>")?;
    Ok(n)
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn write_dot(g: &SignedGraph, w: Sink<'_>) -> std::io::Result<u64> {
    writeln!(w, "graph valence {{")?;
    for id in 0..g.node_count() as NodeId {
        writeln!(
            w,
            "  n{id} [label=\"{}\", modality=\"{}\"];",
            dot_escape(g.value(id)),
            dot_escape(g.modality_name(id))
        )?;
    }
    let mut n = 0;
    for (a, b, s) in g.edges() {
        let (color, style) = match s {
            Sign::Pos => ("darkgreen", "solid"),
            Sign::Neg => ("red", "dashed"),
        };
        writeln!(
            w,
            "  n{a} -- n{b} [sign=\"{}\", color={color}, style={style}];",
            s.symbol()
        )?;
        n += 1;
    }
    writeln!(w, "}}")?;
    Ok(n)
}
