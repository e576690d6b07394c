//! Helpers shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The workspace root (tests run with it as the working directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `valence` binary built by `cargo test --workspace` next to this test
/// binary (target/<profile>/valence).
pub fn valence_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join(format!("valence{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace` so the shell is built",
        bin.display()
    );
    bin
}

/// Runs `valence` with arguments in the workspace root; no standard input.
pub fn valence(args: &[&str]) -> Output {
    Command::new(valence_bin())
        .args(args)
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run valence")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A node as files name it: (modality, value).
pub type Node = (String, String);

/// Signs by (node, node), both orientations, read from an edge CSV with a
/// plain CSV reader (no engine code): the independent side of the checks.
pub fn edge_signs(
    path: impl AsRef<std::path::Path>,
) -> std::collections::HashMap<(Node, Node), char> {
    let mut out = std::collections::HashMap::new();
    for rec in csv::Reader::from_path(path).unwrap().records() {
        let r = rec.unwrap();
        let (sm, tm) = r[2].split_once("_to_").unwrap();
        let a = (sm.to_string(), r[0].to_string());
        let b = (tm.to_string(), r[1].to_string());
        let s = r[3].chars().next().unwrap();
        out.insert((a.clone(), b.clone()), s);
        out.insert((b, a), s);
    }
    out
}

/// (pos_frac, neg_frac) of a node set, recounted pair by pair over the
/// pairs of different modalities ((0, 0) with no such pair).
pub fn naive_fractions(
    nodes: &[Node],
    signs: &std::collections::HashMap<(Node, Node), char>,
) -> (f64, f64) {
    let (mut pairs, mut pos, mut neg) = (0u64, 0u64, 0u64);
    for i in 0..nodes.len() {
        for j in i + 1..nodes.len() {
            if nodes[i].0 == nodes[j].0 {
                continue;
            }
            pairs += 1;
            match signs.get(&(nodes[i].clone(), nodes[j].clone())) {
                Some('+') => pos += 1,
                Some('-') => neg += 1,
                _ => {}
            }
        }
    }
    if pairs == 0 {
        return (0.0, 0.0);
    }
    (pos as f64 / pairs as f64, neg as f64 / pairs as f64)
}

/// Sends SIGINT (Ctrl-C) to a child process.
pub fn sigint(child: &std::process::Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits for a child up to `limit`; `None` if it is still running then.
pub fn wait_for(
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let t = std::time::Instant::now();
    while t.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}
