//! Writes a synthetic catalogue and edge CSV of a given size, for measuring
//! IMPORT GRAPH at scale (issue 14):
//!
//! ```text
//! cargo run --release -p valence-synth --example import_inputs -- DIR NODES MODALITIES POS NEG
//! # 100k nodes over 10 modalities, ~10M edges:
//! cargo run --release -p valence-synth --example import_inputs -- /tmp/s100k 100000 10 0.00111 0.00111
//! # 20k nodes, 10%-dense:
//! cargo run --release -p valence-synth --example import_inputs -- /tmp/d20k 20000 10 0.05 0.05
//! ```
//!
//! Modalities `m0`..`m{k-1}` of equal size (the remainder to `m0`), 8 groups each, seed 1.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| -> Option<(PathBuf, usize, usize, f64, f64)> {
        Some((
            PathBuf::from(args.first()?),
            args.get(1)?.parse().ok()?,
            args.get(2)?.parse().ok()?,
            args.get(3)?.parse().ok()?,
            args.get(4)?.parse().ok()?,
        ))
    })();
    let Some((dir, nodes, k, pos, neg)) = parsed.filter(|p| p.2 > 0 && p.1 >= p.2) else {
        eprintln!("usage: import_inputs DIR NODES MODALITIES POS NEG");
        return ExitCode::FAILURE;
    };
    let names: Vec<String> = (0..k).map(|i| format!("m{i}")).collect();
    let sizes: Vec<(&str, usize)> = names
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), nodes / k + if i == 0 { nodes % k } else { 0 }))
        .collect();
    let spec = valence_synth::SynthSpec::new(&sizes, pos, neg, 8, 1);
    let g = valence_synth::generate(&spec);
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|_| valence_synth::write_catalogue_csv(&g, dir.join("catalogue.csv")))
        .and_then(|_| valence_synth::write_edges_csv(&g, dir.join("edges.csv")))
    {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let (p, n) = g.edge_counts();
    println!(
        "{}: {} nodes, {p} positive and {n} negative edges",
        dir.display(),
        g.nodes.len()
    );
    ExitCode::SUCCESS
}
