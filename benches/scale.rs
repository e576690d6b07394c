//! Scale: the `valence` binary on `synth` graphs from 2k to 100k nodes, each
//! step a separate process as a user runs it (issue 14). Prints one table:
//! import time and peak RSS, the first statement after reopening the file,
//! SAMPLE of 13,000 rows, file size against payload, and whether read-only
//! statements left the file untouched. Plus the script-parse section.
//!
//! ```text
//! cargo build --release --bin valence
//! cargo bench --bench scale                 # every case
//! cargo bench --bench scale -- 20k          # cases whose name contains a filter
//! VALENCE_BIN=/path/to/valence cargo bench --bench scale   # another build (before/after)
//! ```
//! Graph files are generated once into `target/scale/<case>/` and reused.
//! Peak RSS is the child's `ru_maxrss` (wait4), so each figure is one process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use valence_engine::{Kind, ObjRef, Store};
use valence_synth::{
    REAL746_QUOTAS, SynthSpec, generate, scaled, write_catalogue_csv, write_edges_csv,
};

struct Case {
    name: &'static str,
    nodes: usize,
    /// `None`: `scaled` (the real746 shape, ~103 edges a node); `Some(d)`:
    /// the same modalities with `d` of all cross pairs positive and `d` negative.
    dense: Option<f64>,
}

const CASES: [Case; 5] = [
    Case {
        name: "2k",
        nodes: 2_000,
        dense: None,
    },
    Case {
        name: "2k-dense10",
        nodes: 2_000,
        dense: Some(0.05),
    },
    Case {
        name: "20k",
        nodes: 20_000,
        dense: None,
    },
    Case {
        name: "20k-dense10",
        nodes: 20_000,
        dense: Some(0.05),
    },
    Case {
        name: "100k",
        nodes: 100_000,
        dense: None,
    },
];

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let bin = valence_bin();
    println!("binary: {}", bin.display());
    let root = workspace().join("target/scale");
    if filters.is_empty() || filters.iter().any(|f| "script".contains(f.as_str())) {
        script_parse(&bin, &root);
    }
    println!(
        "| case | nodes | edges | import s | import MB | edges/s | open+DIAGNOSE s | MB | SAMPLE 13k s | MB | rows/s | file MB | payload MB | file/payload | read-only writes |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for case in &CASES {
        if filters.is_empty() || filters.iter().any(|f| case.name.contains(f.as_str())) {
            run_case(&bin, &root, case);
        }
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn valence_bin() -> PathBuf {
    let bin = std::env::var_os("VALENCE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/release/valence"));
    if !bin.exists() {
        eprintln!(
            "{} does not exist: run `cargo build --release --bin valence` first (or set VALENCE_BIN)",
            bin.display()
        );
        std::process::exit(2);
    }
    bin
}

/// Wall seconds and peak RSS (MB) of one child process; its stdout/stderr
/// are returned for checks. Panics (this is a benchmark) when it fails.
struct Run {
    secs: f64,
    rss_mb: f64,
    stdout: String,
}

// The child is reaped by wait4 (for its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run(bin: &Path, args: &[&str], dir: &Path) -> Run {
    let out_path = dir.join("last.out");
    let err_path = dir.join("last.err");
    let t = Instant::now();
    let child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("spawn valence");
    let (status, rss_kb) = wait_rusage(child.id() as i32);
    let secs = t.elapsed().as_secs_f64();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    if status != 0 {
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        panic!("valence {args:?} failed (status {status}):\n{stderr}");
    }
    Run {
        secs,
        rss_mb: rss_kb as f64 / 1024.0,
        stdout,
    }
}

/// wait4: the exit status (or 128 + signal) and the child's peak RSS in KB.
fn wait_rusage(pid: i32) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid out-parameter; pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    (code, usage.ru_maxrss)
}

fn spec_for(case: &Case) -> SynthSpec {
    let mut spec = scaled(case.nodes, 7);
    if let Some(d) = case.dense {
        spec.pos_density = d;
        spec.neg_density = d;
        spec.pair_densities.clear();
    }
    spec
}

/// The case's catalogue and edge files, generated on first use.
fn files(root: &Path, case: &Case) -> (PathBuf, PathBuf, u64) {
    let dir = root.join(case.name);
    let (cat, edges, count) = (
        dir.join("catalogue.csv"),
        dir.join("edges.csv"),
        dir.join("edges.count"),
    );
    if let Ok(n) = std::fs::read_to_string(&count) {
        return (cat, edges, n.trim().parse().expect("edge count"));
    }
    std::fs::create_dir_all(&dir).expect("case dir");
    let t = Instant::now();
    let g = generate(&spec_for(case));
    write_catalogue_csv(&g, &cat).expect("catalogue");
    write_edges_csv(&g, &edges).expect("edges");
    let (p, n) = g.edge_counts();
    std::fs::write(&count, format!("{}\n", p + n)).expect("count");
    eprintln!(
        "{}: generated {} nodes, {} edges in {:.1}s",
        case.name,
        case.nodes,
        p + n,
        t.elapsed().as_secs_f64()
    );
    (cat, edges, (p + n) as u64)
}

fn types_clause() -> String {
    let t: Vec<String> = REAL746_QUOTAS
        .iter()
        .map(|(m, lo, hi)| format!("{m} [{lo},{hi}]"))
        .collect();
    format!("TYPES ({})", t.join(", "))
}

fn run_case(bin: &Path, root: &Path, case: &Case) {
    let (cat, edges, edge_count) = files(root, case);
    let work = tempfile::tempdir_in(root).expect("temp dir");
    let db = work.path().join("scale.vdb");
    let db_s = db.to_str().expect("utf-8 path");
    let q = |p: &Path| format!("'{}'", p.display());
    run(
        bin,
        &[db_s, "-c", &format!("LOAD CATALOGUE c FROM {};", q(&cat))],
        work.path(),
    );
    let import = run(
        bin,
        &[
            db_s,
            "-c",
            &format!("IMPORT GRAPH g FROM {} CATALOGUE c;", q(&edges)),
        ],
        work.path(),
    );
    // Read-only statements: the file's bytes and mtime must not change.
    let before = (mtime(&db), file_digest(&db));
    let diag = run(
        bin,
        &[
            db_s,
            "-c",
            &format!("DIAGNOSE g {} SAMPLES 1000 SEED 1;", types_clause()),
        ],
        work.path(),
    );
    run(
        bin,
        &[db_s, "-c", "SHOW GRAPHS; DESCRIBE GRAPH g;"],
        work.path(),
    );
    let wrote = before != (mtime(&db), file_digest(&db));
    let labels = suggested_labels(&diag.stdout);
    let sample = run(
        bin,
        &[
            db_s,
            "-c",
            &format!(
                "SAMPLE 13000 FROM g {} {labels} WITH (seed = 1) INTO d;",
                types_clause()
            ),
        ],
        work.path(),
    );
    let file_mb = std::fs::metadata(&db).expect("db file").len() as f64 / 1e6;
    let payload_mb = payload_bytes(&db) as f64 / 1e6;
    println!(
        "| {} | {} | {} | {:.2} | {:.0} | {:.2}M | {:.2} | {:.0} | {:.2} | {:.0} | {:.0} | {:.1} | {:.1} | {:.2} | {} |",
        case.name,
        case.nodes,
        edge_count,
        import.secs,
        import.rss_mb,
        edge_count as f64 / import.secs / 1e6,
        diag.secs,
        diag.rss_mb,
        sample.secs,
        sample.rss_mb,
        13_000.0 / sample.secs,
        file_mb,
        payload_mb,
        file_mb / payload_mb,
        if wrote { "yes" } else { "no" },
    );
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .expect("mtime")
}

fn file_digest(p: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::fs::read(p).expect("read db").hash(&mut h);
    h.finish()
}

/// Bytes stored for every object version (payload + manifest).
fn payload_bytes(db: &Path) -> u64 {
    let store = Store::open_read_only(db).expect("open read-only");
    let mut total = 0u64;
    for kind in [Kind::Catalogue, Kind::Graph, Kind::Dataset] {
        for info in store.list(kind).expect("list") {
            for v in 1..=info.latest {
                if let Ok(s) = store.get(kind, &ObjRef::at(info.name.clone(), v)) {
                    total += s.payload.len() as u64;
                }
            }
        }
    }
    total
}

/// The three suggested boxes DIAGNOSE printed, as LABEL clauses sharing
/// 13,000 rows (DIAGNOSE prints each box as a ready LABEL clause).
fn suggested_labels(diagnose_out: &str) -> String {
    let labels: Vec<String> = diagnose_out
        .lines()
        .filter_map(|l| {
            let i = l.find("LABEL ")?;
            let clause =
                l[i..].trim_end_matches(|c: char| c == '│' || c == '|' || c.is_whitespace());
            Some(clause.to_string())
        })
        .collect();
    assert_eq!(
        labels.len(),
        3,
        "DIAGNOSE printed no suggested LABEL clauses:\n{diagnose_out}"
    );
    let counts = [5000, 4000, 4000];
    labels
        .iter()
        .zip(counts)
        .map(|(l, n)| with_count(l, n))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `LABEL x COUNT k WHERE ...` with the count replaced by `n`.
fn with_count(label: &str, n: u32) -> String {
    let words: Vec<&str> = label.split_whitespace().collect();
    match words.iter().position(|w| *w == "COUNT") {
        Some(i) if i + 1 < words.len() => {
            let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
            w[i + 1] = n.to_string();
            w.join(" ")
        }
        _ => label.to_string(),
    }
}

/// 16,000 statements: parsed in process, and run by the binary on an
/// in-memory database (a lone `.vql` argument is a script) (`SHOW GRAPHS` each, output discarded).
fn script_parse(bin: &Path, root: &Path) {
    std::fs::create_dir_all(root).expect("scale dir");
    let many_lines = "SHOW GRAPHS;\n".repeat(16_000);
    let one_line = "SHOW GRAPHS; ".repeat(4_000);
    for (what, src) in [
        ("16,000 lines", &many_lines),
        ("4,000 on one line", &one_line),
    ] {
        let t = Instant::now();
        let n = valence_dsl::parse_script(src).expect("parse").len();
        let parse = t.elapsed().as_secs_f64();
        let path = root.join("script.vql");
        std::fs::write(&path, src).expect("script");
        let r = run(bin, &[path.to_str().expect("utf-8")], root);
        println!(
            "script {what}: {n} statements parsed in {parse:.3}s (in process); binary ran them in {:.2}s, {:.0} MB",
            r.secs, r.rss_mb
        );
    }
}
