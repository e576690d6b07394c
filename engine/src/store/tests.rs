//! Store unit tests: immutable versions, failed writes, listings.

use super::*;
use redb::ReadableTableMetadata;

#[test]
fn versions_are_immutable_and_never_reused() {
    let s = Store::in_memory().unwrap();
    let m = Manifest::new("x", "s", serde_json::Value::Null);
    assert_eq!(s.put(Kind::Graph, "g", b"one", &m).unwrap(), 1);
    assert_eq!(s.put(Kind::Graph, "g", b"two", &m).unwrap(), 2);
    assert_eq!(
        s.get(Kind::Graph, &ObjRef::at("g", 1)).unwrap().payload,
        b"one"
    );
    assert_eq!(
        s.get(Kind::Graph, &ObjRef::latest("g")).unwrap().payload,
        b"two"
    );
    s.write(|w| w.drop(Kind::Graph, "g", None)).unwrap();
    assert!(s.get(Kind::Graph, &ObjRef::latest("g")).is_err());
    assert_eq!(s.put(Kind::Graph, "g", b"three", &m).unwrap(), 3);
}

#[test]
fn failed_write_leaves_nothing() {
    let s = Store::in_memory().unwrap();
    let m = Manifest::default();
    let r: Result<()> = s.write(|w| {
        w.put(Kind::Graph, "g", b"x", &m)?;
        Err(Error::invalid("boom"))
    });
    assert!(r.is_err());
    assert!(s.list(Kind::Graph).unwrap().is_empty());
    assert_eq!(s.put(Kind::Graph, "g", b"x", &m).unwrap(), 1);
}

#[test]
fn list_groups_names() {
    let s = Store::in_memory().unwrap();
    let m = Manifest::default();
    s.put(Kind::Graph, "b", b"x", &m).unwrap();
    s.put(Kind::Graph, "a", b"x", &m).unwrap();
    s.put(Kind::Graph, "a", b"x", &m).unwrap();
    s.put(Kind::Dataset, "a", b"x", &m).unwrap();
    let l = s.list(Kind::Graph).unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(
        (l[0].name.as_str(), l[0].latest, l[0].versions),
        ("a", 2, 2)
    );
    assert_eq!((l[1].name.as_str(), l[1].latest), ("b", 1));
}

#[test]
fn large_payloads_are_chunked_and_read_back_whole() {
    let s = Store::in_memory().unwrap();
    let m = Manifest::default();
    let sizes = [
        0,
        1,
        chunks::CHUNK,
        chunks::CHUNK + 1,
        3 * chunks::CHUNK + 5,
    ];
    for (i, &n) in sizes.iter().enumerate() {
        let payload: Vec<u8> = (0..n).map(|j| (j * 7 + i) as u8).collect();
        let v = s.put(Kind::Dataset, "d", &payload, &m).unwrap();
        let back = s.get(Kind::Dataset, &ObjRef::at("d", v)).unwrap().payload;
        assert!(back == payload, "size {n}");
    }
    // The chunk table holds exactly the chunks of the two large payloads.
    let count = |s: &Store| {
        let txn = s.read_txn().unwrap();
        chunks::chunks_table(&txn).unwrap().unwrap().len().unwrap()
    };
    assert_eq!(count(&s), 2 + 4);
    assert!(s.check().unwrap().iter().all(|e| e.status == Integrity::Ok));
    // DROP removes a version's chunks with it.
    s.write(|w| w.drop(Kind::Dataset, "d", Some(5))).unwrap();
    assert_eq!(count(&s), 2);
    s.write(|w| w.drop(Kind::Dataset, "d", None)).unwrap();
    assert_eq!(count(&s), 0);
}

#[test]
fn a_damaged_chunk_fails_its_checksum() {
    let s = Store::in_memory().unwrap();
    let payload = vec![9u8; 2 * chunks::CHUNK];
    s.put(Kind::Graph, "g", &payload, &Manifest::default())
        .unwrap();
    let txn = s.begin_write().unwrap();
    txn.open_table(chunks::OBJECT_CHUNKS)
        .unwrap()
        .insert(("graph", "g", 1, 1), &[1u8, 2, 3][..])
        .unwrap();
    txn.commit().unwrap();
    let e = s.get(Kind::Graph, &ObjRef::latest("g")).unwrap_err();
    assert!(e.to_string().contains("corrupted"), "{e}");
    assert_eq!(s.check().unwrap()[0].status, Integrity::PayloadCorrupt);
}

#[test]
fn threads_writing_and_reading_a_lazy_file_store_finish_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.vdb");
    drop(Store::open(&path).unwrap());
    // Reopened lazily: the first write of any thread reopens it read-write.
    let s = std::sync::Arc::new(Store::open(&path).unwrap());
    assert!(s.is_unwritten());
    let m = Manifest::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let workers: Vec<_> = (0..4u8)
        .map(|t| {
            let (s, m, tx) = (s.clone(), m.clone(), tx.clone());
            std::thread::spawn(move || {
                let name = format!("d{t}");
                for i in 0..6u8 {
                    let payload = vec![t ^ i; 300_000 + usize::from(i) * 1000];
                    let v = s.put(Kind::Dataset, &name, &payload, &m).unwrap();
                    let back = s.get(Kind::Dataset, &ObjRef::at(&name, v)).unwrap();
                    assert!(back.payload == payload);
                    if i % 2 == 1 {
                        s.write(|w| w.drop(Kind::Dataset, &name, Some(v - 1)))
                            .unwrap();
                    }
                    s.list(Kind::Dataset).unwrap();
                }
                tx.send(()).unwrap();
            })
        })
        .collect();
    for _ in 0..4 {
        rx.recv_timeout(std::time::Duration::from_secs(120))
            .expect("a thread did not finish: deadlock?");
    }
    for w in workers {
        w.join().unwrap();
    }
    assert!(!s.is_unwritten());
    assert_eq!(s.list(Kind::Dataset).unwrap().len(), 4);
    assert!(s.check().unwrap().iter().all(|e| e.status == Integrity::Ok));
    // 12 versions of ~300 KB left out of 24 written: compacted on the way.
    let st = s.storage_stats().unwrap();
    assert!(st.payload_bytes > 12 * 300_000, "{st:?}");
    assert!(st.ratio() <= 1.3, "{st:?}");
}
