//! Read-only opens: `Database::open_read_only`, the shell's `-readonly`, and
//! `Database::open` on a file whose mount is read-only. The file must come
//! out byte-identical with its modification time unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use valence::{Database, ErrorKind};
use valence_engine::{Kind, Manifest, Store};

use crate::common::{stderr, stdout};

const CAT: &str = "tests/data/tiny_catalogue.csv";
const EDGES: &str = "tests/data/tiny_edges.csv";

/// A database with a catalogue `c` and a graph `g`, closed, with its
/// modification time set in the past (so any write would move it).
fn make_db(path: &Path) {
    let db = Database::open(path).unwrap();
    db.execute(&format!(
        "LOAD CATALOGUE c FROM '{CAT}'; IMPORT GRAPH g FROM '{EDGES}' CATALOGUE c;"
    ))
    .unwrap();
    drop(db);
    age(path);
}

fn age(path: &Path) {
    let past = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(past)
        .unwrap();
}

/// The file's bytes and modification time.
fn snapshot(path: &Path) -> (Vec<u8>, SystemTime) {
    let bytes = std::fs::read(path).unwrap();
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    (bytes, mtime)
}

fn assert_untouched(path: &Path, before: &(Vec<u8>, SystemTime)) {
    let after = snapshot(path);
    assert_eq!(after.1, before.1, "modification time of {path:?} changed");
    assert!(after.0 == before.0, "bytes of {path:?} changed");
}

#[test]
fn writing_through_a_read_only_database_is_the_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_db(&path);
    let before = snapshot(&path);
    let db = Database::open_read_only(&path).unwrap();
    assert!(db.is_read_only());
    let shown = db.execute("SHOW GRAPHS; DESCRIBE GRAPH g;").unwrap();
    assert_eq!(shown[0].table().rows.len(), 1);
    for stmt in [
        format!("LOAD CATALOGUE c2 FROM '{CAT}';"),
        "DROP GRAPH g;".to_string(),
    ] {
        let e = db.execute(&stmt).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadOnly, "{stmt}: {e}");
        assert!(e.to_string().contains("is open read-only"), "{e}");
        assert!(e.hint().unwrap().contains("without -readonly"), "{e:?}");
    }
    // Nothing was dropped.
    assert_eq!(db.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(), 1);
    drop(db);
    assert_untouched(&path, &before);
}

#[test]
fn a_read_only_store_refuses_every_write_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_db(&path);
    let before = snapshot(&path);
    let s = Store::open_read_only(&path).unwrap();
    assert!(s.is_read_only() && !s.is_forced_read_only());
    let mut ran = false;
    let e = s
        .write(|_| {
            ran = true;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(e.kind(), valence_engine::ErrorKind::ReadOnly);
    assert!(!ran, "the write closure must not run on a read-only store");
    let e = s.journal_put(b"k", b"v").unwrap_err();
    assert_eq!(e.kind(), valence_engine::ErrorKind::ReadOnly);
    let e = s
        .put(Kind::Graph, "x", b"payload", &Manifest::default())
        .unwrap_err();
    assert_eq!(e.kind(), valence_engine::ErrorKind::ReadOnly);
    assert_eq!(s.list(Kind::Graph).unwrap().len(), 1);
    drop(s);
    assert_untouched(&path, &before);
}

#[test]
fn read_only_open_of_a_missing_file_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.vdb");
    let e = Database::open_read_only(&path).err().unwrap();
    assert!(e.to_string().contains("no such file"), "{e}");
    assert!(!path.exists());
}

#[test]
fn read_only_open_of_a_file_open_here_read_write_is_already_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_db(&path);
    let rw = Database::open(&path).unwrap();
    let e = Database::open_read_only(&path).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::AlreadyOpen, "{e}");
    assert!(!rw.is_read_only());
}

#[test]
fn format_1_database_opened_read_only_reads_back_without_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.vdb");
    std::fs::copy("tests/data/format1/v1.vdb", &path).unwrap();
    age(&path);
    let before = snapshot(&path);
    let db = Database::open_read_only(&path).unwrap();
    let ds = dir.path().join("ds.jsonl");
    let gref = dir.path().join("ref.csv");
    db.execute(&format!(
        "EXPORT DATASET ds TO '{}'; EXPORT GRAPH ref TO '{}';",
        ds.display(),
        gref.display()
    ))
    .unwrap();
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert!(read(&ds) == read(Path::new("tests/data/format1/ds.jsonl")));
    assert!(read(&gref) == read(Path::new("tests/data/format1/ref.csv")));
    // Not migrated: no checksums, so every object is reported unchecked.
    let r = db.execute("CHECK DATABASE;").unwrap();
    let t = r[0].table();
    // The last line is the file's size (CHECK DATABASE on a file database).
    assert_eq!(
        t.get(t.rows.len() - 1, "kind").and_then(|v| v.as_str()),
        Some("file")
    );
    let statuses: Vec<(String, String)> = (0..t.rows.len() - 1)
        .map(|i| {
            let s = |c: &str| {
                t.get(i, c)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            (s("name"), s("status"))
        })
        .collect();
    assert_eq!(statuses.len(), 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|(_, s)| s == "unchecked"),
        "{statuses:?}"
    );
    drop(db);
    assert_untouched(&path, &before);
}

#[test]
fn readonly_shell_session_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_db(&path);
    let before = snapshot(&path);
    let p = path.to_str().unwrap();
    let reads = "SHOW GRAPHS; DESCRIBE GRAPH g; CHECK DATABASE; SHOW DATASETS;";
    let o = crate::common::valence(&["-readonly", p, "-c", reads]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("imported: 5 nodes"), "{}", stdout(&o));
    let o = crate::common::valence(&["-readonly", p, "-c", "DROP GRAPH g;"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    assert!(stderr(&o).contains('^'), "caret expected: {}", stderr(&o));
    assert_untouched(&path, &before);
    // Another process may read while a read-only shell has the file.
    let rw = Database::open_read_only(&path).unwrap();
    let o = crate::common::valence(&["-readonly", p, "-c", "SHOW GRAPHS;"]);
    assert!(o.status.success(), "{}", stderr(&o));
    drop(rw);
    assert_untouched(&path, &before);
}

/// A tmpfs mounted on a temporary directory, remounted read-only once the
/// database is in it; unmounted on drop.
struct RoMount {
    dir: PathBuf,
}

impl RoMount {
    /// `None` when this process may not mount (not root / no CAP_SYS_ADMIN).
    fn with_db(dir: &Path) -> Option<RoMount> {
        let ok = |c: &mut Command| c.status().map(|s| s.success()).unwrap_or(false);
        if !ok(Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(dir))
        {
            return None;
        }
        let m = RoMount {
            dir: dir.to_path_buf(),
        };
        make_db(&dir.join("db.vdb"));
        let remounted = ok(Command::new("mount").args(["-o", "remount,ro"]).arg(dir));
        assert!(
            remounted,
            "tmpfs mounted but could not be remounted read-only"
        );
        Some(m)
    }
}

impl Drop for RoMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Mounting needs privileges: tests run as root here. Without them the
/// fallback test below still covers the read-only path by permissions.
fn ro_dir() -> (tempfile::TempDir, Option<RoMount>) {
    let dir = tempfile::tempdir().unwrap();
    let m = RoMount::with_db(dir.path());
    (dir, m)
}

#[test]
fn database_on_a_read_only_mount_opens_read_only() {
    let (dir, mount) = ro_dir();
    let path = dir.path().join("db.vdb");
    if mount.is_none() {
        // Not root: permission bits do apply, so a 0444 file in a 0555
        // directory stands in for the read-only mount.
        make_db(&path);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        assert!(
            std::fs::File::options().write(true).open(&path).is_err(),
            "neither a read-only mount nor permission bits can be tested here"
        );
    }
    let before = snapshot(&path);
    let db = Database::open(&path).unwrap();
    assert!(db.is_read_only());
    assert_eq!(db.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(), 1);
    let e = db.execute("DROP GRAPH g;").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ReadOnly, "{e}");
    assert!(e.hint().unwrap().contains("mount is read-only"), "{e:?}");
    drop(db);
    // A missing file there is still the creation error.
    let e = Database::open(dir.path().join("new.vdb")).err().unwrap();
    assert!(e.to_string().contains("cannot create"), "{e}");
    assert!(!dir.path().join("new.vdb").exists());
    // The shell: a note on stderr, reads work, a write fails with exit 1.
    let p = path.to_str().unwrap();
    let o = crate::common::valence(&[p, "-c", "SHOW GRAPHS; SHOW DATASETS;"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("opened read-only"), "{}", stderr(&o));
    assert!(stdout(&o).contains("imported: 5 nodes"), "{}", stdout(&o));
    let o = crate::common::valence(&[p, "-c", "DROP GRAPH g;"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("is open read-only"), "{}", stderr(&o));
    assert_untouched(&path, &before);
    if mount.is_none() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    drop(mount);
}

// ---- Read statements on a normally opened database never write (issue 14) ----

const SMALL_CAT: &str = "fixtures/small/catalogue.csv";
const SMALL_EDGES: &str = "fixtures/small/edges.csv";
const TYPES: &str = "TYPES (brand [1,1], audience [1,2], platform [1,1])";

/// A database with a catalogue, two graphs and a dataset, closed and aged.
fn make_rich_db(path: &Path) {
    let db = Database::open(path).unwrap();
    db.execute(&format!(
        "LOAD CATALOGUE c FROM '{SMALL_CAT}';
         IMPORT GRAPH g FROM '{SMALL_EDGES}' CATALOGUE c;
         IMPORT GRAPH g2 FROM '{SMALL_EDGES}' CATALOGUE c;
         SAMPLE 60 FROM g {TYPES} WHERE pos_frac IN [0.0, 1.0] WITH (seed = 3) INTO ds;"
    ))
    .unwrap();
    drop(db);
    age(path);
}

/// Every kind of read statement, EXPORTs writing outside the database.
fn read_statements(out: &Path) -> String {
    format!(
        "SHOW CATALOGUES; SHOW GRAPHS; SHOW DATASETS; SHOW VERSIONS OF GRAPH g;
         DESCRIBE CATALOGUE c; DESCRIBE GRAPH g; DESCRIBE DATASET ds;
         DIAGNOSE g {TYPES} SAMPLES 200 SEED 1;
         EXPLAIN GENERATE GRAPH x FROM c USING BRUTE_FORCE;
         COMPARE GRAPH g WITH g2; CHECK DATABASE;
         CHECK GRAPH g AGAINST 'fixtures/small/expectations.csv';
         SELECT COUNT(*) AS n FROM edges(g);
         SELECT label, COUNT(*) AS n FROM rows(ds) GROUP BY label;
         EXPORT DATASET ds TO '{}'; EXPORT GRAPH g TO '{}';",
        out.join("ds.jsonl").display(),
        out.join("g.csv").display()
    )
}

#[test]
fn read_statements_through_database_open_leave_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_rich_db(&path);
    let before = snapshot(&path);
    let out = tempfile::tempdir().unwrap();
    let db = Database::open(&path).unwrap();
    assert!(!db.is_read_only());
    let results = db.execute(&read_statements(out.path())).unwrap();
    assert_eq!(results.len(), 16);
    assert!(
        std::fs::read_to_string(out.path().join("ds.jsonl"))
            .unwrap()
            .lines()
            .count()
            == 60
    );
    // A second handle of the same file shares it and reads too.
    let again = Database::open(&path).unwrap();
    assert_eq!(
        again.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(),
        2
    );
    drop(again);
    drop(db);
    assert_untouched(&path, &before);
}

#[test]
fn a_write_after_reads_in_the_same_session_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_rich_db(&path);
    let before = snapshot(&path);
    let out = tempfile::tempdir().unwrap();
    let db = Database::open(&path).unwrap();
    db.execute(&read_statements(out.path())).unwrap();
    let r = db
        .execute(&format!(
            "LOAD CATALOGUE c2 FROM '{CAT}'; DROP GRAPH g2; SHOW CATALOGUES;"
        ))
        .unwrap();
    assert_eq!(r[2].table().rows.len(), 2);
    // Reads after the write see it, in this handle and after a reopen.
    assert_eq!(db.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(), 1);
    drop(db);
    let after = snapshot(&path);
    assert_ne!(after.1, before.1, "a write must reach the file");
    let db = Database::open(&path).unwrap();
    assert_eq!(
        db.execute("SHOW CATALOGUES;").unwrap()[0]
            .table()
            .rows
            .len(),
        2
    );
}

#[test]
fn read_statements_through_the_cli_leave_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_rich_db(&path);
    let before = snapshot(&path);
    let out = tempfile::tempdir().unwrap();
    let p = path.to_str().unwrap();
    let o = crate::common::valence(&[p, "-c", &read_statements(out.path())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("60 rows"), "{}", stdout(&o));
    assert!(!stderr(&o).contains("read-only"), "{}", stderr(&o));
    // A script file and standard input take the same path.
    let script = out.path().join("reads.vql");
    std::fs::write(&script, "SHOW GRAPHS; DESCRIBE DATASET ds;").unwrap();
    let o = crate::common::valence(&[p, script.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_untouched(&path, &before);
    // Then a write in the same process works and reaches the file.
    let o = crate::common::valence(&[
        p,
        "-c",
        &format!("SHOW GRAPHS; LOAD CATALOGUE c2 FROM '{CAT}'; SHOW CATALOGUES;"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("c2"), "{}", stdout(&o));
    assert_ne!(snapshot(&path).1, before.1);
}

#[test]
fn a_write_while_another_process_reads_is_locked_then_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    make_db(&path);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(), 1);
    // Another process can open it meanwhile: this one has only read.
    let mut other = std::process::Command::new(crate::common::valence_bin())
        .current_dir(crate::common::root())
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::{BufRead, Write};
        let stdin = other.stdin.as_mut().unwrap();
        stdin.write_all(b".mode csv\nSHOW GRAPHS;\n").unwrap();
        stdin.flush().unwrap();
        // Its answer says it has the file open.
        let mut lines = std::io::BufReader::new(other.stdout.as_mut().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.starts_with("name"), "{first}");
    }
    let stmt = format!("LOAD CATALOGUE c2 FROM '{CAT}';");
    let e = db.execute(&stmt).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
    assert!(e.to_string().contains("database is locked"), "{e}");
    // Still usable for reads, and the write works once the other is gone.
    assert_eq!(db.execute("SHOW GRAPHS;").unwrap()[0].table().rows.len(), 1);
    drop(other.stdin.take());
    assert!(other.wait().unwrap().success());
    db.execute(&stmt).unwrap();
    assert_eq!(
        db.execute("SHOW CATALOGUES;").unwrap()[0]
            .table()
            .rows
            .len(),
        2
    );
}
