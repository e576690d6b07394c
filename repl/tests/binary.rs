//! Tests of the `valence` binary target itself. Having an integration test in
//! this package also makes `cargo test --workspace` build the binary, which
//! the workspace's main test suite (`tests/`) drives as a user would.

use std::process::Command;

fn valence() -> Command {
    Command::new(env!("CARGO_BIN_EXE_valence"))
}

#[test]
fn version_and_help() {
    let o = valence().arg("--version").output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("valence "));
    let o = valence().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("--command"), "{help}");
    assert!(help.contains("--mode"), "{help}");
}

#[test]
fn dot_help_lists_statements_and_commands() {
    let o = valence()
        .args(["-c", ".help"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "SAMPLE n FROM g",
        "GENERATE GRAPH",
        ".mode table|csv|json|markdown",
        ".read FILE",
    ] {
        assert!(out.contains(needle), "{needle} missing from .help:\n{out}");
    }
}

#[test]
fn bad_mode_is_refused() {
    let o = valence()
        .args(["--mode", "xml", "-c", "SHOW GRAPHS;"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown mode 'xml'"));
}
