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
    let statuses: Vec<(String, String)> = (0..t.rows.len())
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
