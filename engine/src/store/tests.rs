//! Store unit tests: immutable versions, failed writes, listings.

use super::*;

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
