//! Compact storage (issue 14): large payloads stored in chunks, the file
//! compacted after large writes, and files of format 2 read back.

use std::path::Path;

use valence::Database;
use valence_engine::Store;

/// (kind, name, status, detail) of every CHECK DATABASE row.
fn check_rows(db: &Database) -> Vec<(String, String, String, String)> {
    let r = db.execute("CHECK DATABASE;").unwrap();
    let t = r[0].table();
    (0..t.rows.len())
        .map(|i| {
            let s = |c: &str| {
                t.get(i, c)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            (s("kind"), s("name"), s("status"), s("detail"))
        })
        .collect()
}

const TYPES: &str =
    "TYPES (brand [1,1], interest-and-other-attributes [2,4], platform [1,1], geo [1,2])";

#[test]
fn after_a_sizable_run_the_file_is_at_most_1_3_times_its_payload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.vdb");
    let db = Database::open(&path).unwrap();
    let mut script = String::from(
        "LOAD CATALOGUE c FROM 'fixtures/real746/catalogue.csv';
         IMPORT GRAPH g FROM 'fixtures/real746/edges.csv' CATALOGUE c;
         IMPORT GRAPH g FROM 'fixtures/real746/edges.csv' CATALOGUE c;",
    );
    for seed in 1..=4 {
        script.push_str(&format!(
            "SAMPLE 25000 FROM g {TYPES} WHERE pos_frac IN [0, 1] WITH (seed = {seed}) INTO ds;"
        ));
    }
    script.push_str("DROP DATASET ds@2; DROP GRAPH g@1;");
    db.execute(&script).unwrap();
    drop(db);
    let s = Store::open_read_only(&path).unwrap();
    let stats = s.storage_stats().unwrap();
    drop(s);
    eprintln!("after the run: {stats:?} ({:.3}x)", stats.ratio());
    assert_eq!(
        stats.file_bytes,
        std::fs::metadata(&path).unwrap().len(),
        "{stats:?}"
    );
    assert!(stats.payload_bytes > 1 << 20, "a sizable run: {stats:?}");
    assert!(
        stats.ratio() <= 1.3,
        "file {} bytes for {} bytes of payload ({:.2}x)",
        stats.file_bytes,
        stats.payload_bytes,
        stats.ratio()
    );
    // CHECK DATABASE shows the same figures on its last line.
    let db = Database::open_read_only(&path).unwrap();
    assert_eq!(db.storage_stats().unwrap(), stats);
    assert!(!db.compact().unwrap(), "nothing to compact read-only");
    let rows = check_rows(&db);
    let (kind, name, status, detail) = rows.last().unwrap();
    assert_eq!(
        (kind.as_str(), name.as_str(), status.as_str()),
        ("file", "db.vdb", "ok")
    );
    assert!(
        detail.starts_with(&format!("{} bytes", stats.file_bytes))
            && detail.contains(&format!("holding {} bytes", stats.payload_bytes))
            && detail.ends_with(&format!("{:.2}x", stats.ratio())),
        "{detail}"
    );
    assert!(rows.iter().all(|r| r.2 == "ok"), "{rows:?}");
    // The three datasets left read back whole.
    let n = db.query("SELECT COUNT(*) AS n FROM rows(ds@4)").unwrap();
    assert_eq!(n.get(0, "n").and_then(|v| v.as_i64()), Some(25000));
    assert!(db.execute("DESCRIBE DATASET ds@2;").is_err());
    drop(db);
    // An explicit compaction after a write in a later session.
    let db = Database::open(&path).unwrap();
    assert!(
        !db.compact().unwrap(),
        "nothing written yet in this session"
    );
    db.execute("DROP DATASET ds@3;").unwrap();
    assert!(db.compact().unwrap());
    let after = db.storage_stats().unwrap();
    assert!(
        after.payload_bytes < stats.payload_bytes && after.ratio() <= 1.3,
        "{after:?}"
    );
}

#[test]
fn a_format_2_database_reads_back_identically_and_is_migrated_by_a_write_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.vdb");
    std::fs::copy("tests/data/format2/v2.vdb", &path).unwrap();
    let read = |p: &Path| std::fs::read(p).unwrap();
    let exports = |db: &Database, tag: &str| {
        let (ds, g) = (
            dir.path().join(format!("ds{tag}.jsonl")),
            dir.path().join(format!("ref{tag}.csv")),
        );
        db.execute(&format!(
            "EXPORT DATASET ds@1 TO '{}'; EXPORT GRAPH ref TO '{}';",
            ds.display(),
            g.display()
        ))
        .unwrap();
        assert!(read(&ds) == read(Path::new("tests/data/format2/ds.jsonl")));
        assert!(read(&g) == read(Path::new("tests/data/format2/ref.csv")));
    };
    // Read-only: read as it is, checksums verified.
    let before = read(&path);
    let db = Database::open_read_only(&path).unwrap();
    exports(&db, "ro");
    assert!(check_rows(&db).iter().all(|r| r.2 == "ok"));
    drop(db);
    assert!(read(&path) == before, "a read-only open must not migrate");
    // Read-write: migrated to format 3; old objects stay whole beside new
    // chunked ones.
    let db = Database::open(&path).unwrap();
    exports(&db, "rw");
    db.execute(
        "SAMPLE 20000 FROM ref TYPES (brand [1,1], audience [1,2], platform [1,1], geo [1,2])
         WHERE pos_frac IN [0.0, 1.0] WITH (seed = 5, distinct = false) INTO ds;",
    )
    .unwrap();
    drop(db);
    let db = Database::open(&path).unwrap();
    exports(&db, "again");
    let rows = check_rows(&db);
    assert!(rows.iter().all(|r| r.2 == "ok"), "{rows:?}");
    assert_eq!(rows.iter().filter(|r| r.0 == "dataset").count(), 2);
    let n = db.query("SELECT COUNT(*) AS n FROM rows(ds@2)").unwrap();
    assert_eq!(n.get(0, "n").and_then(|v| v.as_i64()), Some(20000));
}
