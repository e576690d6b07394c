//! Regenerates `fixtures/large` and `fixtures/real746` byte-identically from `valence_synth`.
//! `fixtures/small` is hand-written and is not touched.
//!
//! ```text
//! cargo run -p valence-synth --example gen_fixtures            # write the files, print diagnostics
//! cargo run -p valence-synth --example gen_fixtures -- --check # only compare with what is on disk
//! cargo run -p valence-synth --example gen_fixtures -- --scaled 20000  # print counts, write nothing
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use valence_synth::{self as synth, FracStats, SynthGraph, SynthSpec};

/// Fixture directory, spec, diagnostic quotas, diagnostic rows.
type Job = (
    &'static str,
    SynthSpec,
    &'static [(&'static str, usize, usize)],
    usize,
);
type Writer = fn(&SynthGraph, PathBuf) -> std::io::Result<()>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--scaled") {
        let Some(n) = args.get(i + 1).and_then(|n| n.parse::<usize>().ok()) else {
            eprintln!("--scaled needs a node count, e.g. --scaled 20000");
            return ExitCode::FAILURE;
        };
        let start = std::time::Instant::now();
        let g = synth::generate(&synth::scaled(n, synth::REAL746_SEED));
        let (pos, neg) = g.edge_counts();
        println!(
            "scaled({n}): {} nodes, {pos} positive, {neg} negative, {:.1} edges per node, {:.2?}",
            g.nodes.len(),
            2.0 * g.edges.len() as f64 / g.nodes.len() as f64,
            start.elapsed()
        );
        return ExitCode::SUCCESS;
    }
    let check = args.iter().any(|a| a == "--check");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures");
    let jobs: [Job; 2] = [
        (
            "large",
            synth::report_large_160(synth::LARGE_SEED),
            &synth::LARGE_QUOTAS,
            4000,
        ),
        (
            "real746",
            synth::report_like_746(synth::REAL746_SEED),
            &synth::REAL746_QUOTAS,
            10_000,
        ),
    ];
    let mut ok = true;
    for (name, spec, quotas, samples) in jobs {
        let g = synth::generate(&spec);
        let dir = root.join(name);
        match emit(&g, &dir, check) {
            Ok(same) => {
                if check && !same {
                    eprintln!("{name}: files on disk differ from the generator output");
                    ok = false;
                }
            }
            Err(e) => {
                eprintln!("{name}: cannot write {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        let (pos, neg) = g.edge_counts();
        println!(
            "{name}: {} nodes, {} cross-modality pairs, {pos} positive, {neg} negative",
            g.nodes.len(),
            g.cross_pairs()
        );
        report(&synth::edge_fraction_stats(&g, quotas, samples, 7));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes (or, with `check`, compares) both CSV files; returns whether the disk already matched.
fn emit(g: &SynthGraph, dir: &Path, check: bool) -> std::io::Result<bool> {
    let tmp = std::env::temp_dir().join(format!("valence-gen-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let files: [(&str, Writer); 2] = [
        ("catalogue.csv", |g, p| synth::write_catalogue_csv(g, p)),
        ("edges.csv", |g, p| synth::write_edges_csv(g, p)),
    ];
    let mut same = true;
    for (file, write) in files {
        let fresh = tmp.join(file);
        write(g, fresh.clone())?;
        let new = std::fs::read(&fresh)?;
        let target = dir.join(file);
        same &= std::fs::read(&target).ok().as_deref() == Some(new.as_slice());
        if !check {
            std::fs::create_dir_all(dir)?;
            std::fs::write(&target, &new)?;
        }
    }
    std::fs::remove_dir_all(&tmp)?;
    Ok(same)
}

fn report(s: &FracStats) {
    let p = |v: &[f64; 5]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "  {} rows: pos_frac mean {:.3} (p5 p25 p50 p75 p95: {}), neg_frac mean {:.3} ({}), absent {:.3}",
        s.samples,
        s.pos_mean,
        p(&s.pos_pct),
        s.neg_mean,
        p(&s.neg_pct),
        s.absent_mean
    );
}
