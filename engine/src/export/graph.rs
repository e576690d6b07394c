//! Graph export: the edge CSV (re-importable), GraphML, Graphviz DOT and the
//! edge list as Parquet.

use std::path::Path;

use super::GraphFormat;
use crate::limits::{escape_controls, quote};
use crate::util::{Sink, write_output};
use crate::{Code, Error, NodeId, Result, Sign, SignedGraph, Subject};

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
    if format == GraphFormat::GraphMl {
        check_xml_chars(g, path)?;
    }
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

/// Whether XML 1.0 can hold `c` (its `Char` production): not the C0
/// control characters other than tab, line feed and carriage return, nor
/// U+FFFE and U+FFFF, even as character references.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Refuses, before anything is written, a graph whose modality names or
/// values hold a character GraphML cannot carry (LOAD CATALOGUE and IMPORT
/// GRAPH refuse control characters; a graph stored before could have them).
fn check_xml_chars(g: &SignedGraph, path: &Path) -> Result<()> {
    let modalities = g.modalities().iter().map(|m| ("modality", m.as_str()));
    let values = (0..g.node_count() as NodeId).map(|id| ("value", g.value(id)));
    for (what, v) in modalities.chain(values) {
        if let Some(c) = v.chars().find(|&c| !is_xml_char(c)) {
            return Err(Error::rejected(
                Code::BadFormat,
                Subject::file(path),
                format!(
                    "GraphML cannot hold the {what} {}: it contains U+{:04X}, which XML 1.0 \
                     cannot represent",
                    quote(&escape_controls(v)),
                    c as u32
                ),
                "export the graph as csv, dot or parquet, which keep it, or remove the \
                 character from the catalogue or edge file and import the graph again",
            ));
        }
    }
    Ok(())
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
