//! Issue 14: an IMPORT GRAPH that cannot get memory reports an error (file,
//! line, the memory it needed) and stores nothing; it never aborts.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{stderr, stdout, valence_bin};

/// One malloc arena: glibc otherwise reserves 64 MB of address space per
/// thread that allocates, which makes a process's peak depend on its threads
/// more than on what it holds.
const ARENAS: (&str, &str) = ("MALLOC_ARENA_MAX", "1");

/// The most address space (KB) a `valence` shell reached after running
/// `stmt` on `db`, read from /proc while it waits for more input.
fn peak_vm_kb(db: &Path, stmt: &str) -> u64 {
    let mut child = Command::new(valence_bin())
        .env(ARENAS.0, ARENAS.1)
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{stmt}").unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // The result table ends with its row count.
    while !line.contains("1 row") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the statement printed nothing"
        );
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let peak = status.lines().find(|l| l.starts_with("VmPeak:")).unwrap();
    peak.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn an_import_that_cannot_get_memory_reports_an_error_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.vdb");
    let small = dir.path().join("small.csv");
    std::fs::write(
        &small,
        "source,target,rel,sign\na1,b1,x_to_y,+\na2,b1,x_to_y,-\n",
    )
    .unwrap();
    // 2,000,000 distinct pairs: 16 MB of edge keys alone.
    let big = dir.path().join("big.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    writeln!(w, "source,target,rel,sign").unwrap();
    for i in 0..2_000_000u32 {
        writeln!(w, "a{},b{},x_to_y,+", i % 2000, i / 2000).unwrap();
    }
    w.into_inner().unwrap().sync_all().unwrap();

    let base = peak_vm_kb(
        &db,
        &format!("IMPORT GRAPH small FROM '{}';", small.display()),
    );
    // A little above what the shell needs for a small import.
    let limit = base + 8 * 1024;
    let o = Command::new("sh")
        .env(ARENAS.0, ARENAS.1)
        .arg("-c")
        .arg(format!("ulimit -v {limit} && exec \"$0\" \"$1\" -c \"$2\"",))
        .arg(valence_bin())
        .arg(&db)
        .arg(format!("IMPORT GRAPH big FROM '{}';", big.display()))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.signal(), None, "killed by a signal: {err}");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("memory allocation"),
        "{err}"
    );
    assert!(err.contains("big.csv:"), "{err}");
    assert!(
        err.contains("not enough memory to import the edges"),
        "{err}"
    );
    assert!(err.contains(" MB more was needed"), "{err}");
    assert_eq!(
        err.matches("not enough memory").count(),
        1,
        "one error: {err}"
    );

    // The database holds what it held before: the small graph only.
    let o = Command::new(valence_bin())
        .arg(&db)
        .args(["--mode", "csv", "-c", "SHOW GRAPHS;"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = stdout(&o)
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(names, ["small"], "{}", stdout(&o));

    // Without the limit the same file imports.
    let o = Command::new(valence_bin())
        .arg(&db)
        .args(["-c", &format!("IMPORT GRAPH big FROM '{}';", big.display())])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("2000000"), "{}", stdout(&o));
}
