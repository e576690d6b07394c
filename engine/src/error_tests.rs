//! Tests of the error type: one-line messages, hints, kinds, codes,
//! subjects and `source()`.

use super::*;
use std::error::Error as _;

#[test]
fn display_is_one_line_and_the_hint_is_apart() {
    let e = Error::invalid_hint("bad quota", "use [1,2]");
    assert_eq!(e.to_string(), "bad quota");
    assert_eq!(e.hint(), Some("use [1,2]"));
    assert_eq!(e.kind(), ErrorKind::Invalid);
    let l = Error::Locked {
        path: "x.vdb".into(),
    };
    assert!(!l.to_string().contains('\n'));
    assert!(l.hint().unwrap().contains("close the other"));
    assert_eq!(l.kind().code(), "locked");
}

#[test]
fn cancelled_fits_every_statement_and_only_the_hint_mentions_the_journal() {
    let c = Error::Cancelled;
    assert_eq!(
        c.to_string(),
        "cancelled; nothing of this statement was stored"
    );
    assert!(!c.to_string().contains("LLM"));
    assert!(c.hint().unwrap().contains("GENERATE"));
    assert_eq!(c.kind(), ErrorKind::Cancelled);
    assert_eq!(c.left_running(), None);
}

#[test]
fn a_cancelled_wait_is_a_cancellation_that_names_what_keeps_running() {
    let e = Error::CancelledWaiting {
        message:
            "stopped waiting for batch b1 of the score phase; it keeps running at the provider"
                .into(),
        hint: "re-run the same statement to pick up its results".into(),
    };
    assert_eq!(
        (e.kind(), e.code(), e.subject()),
        (ErrorKind::Cancelled, "cancelled", None)
    );
    assert!(e.to_string().contains("batch b1"));
    assert_eq!(
        e.hint(),
        Some("re-run the same statement to pick up its results")
    );
    let (what, how) = e.left_running().unwrap();
    assert_eq!((what, how), (e.to_string().as_str(), e.hint().unwrap()));
}

#[test]
fn storage_and_io_keep_their_source() {
    let io = std::io::Error::other("disk on fire");
    let e = Error::io("a.csv", io);
    let src = e.source().expect("io source");
    assert!(src.downcast_ref::<std::io::Error>().is_some());
    let e = Error::storage_source(std::io::Error::other("page torn"));
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert_eq!(e.source().unwrap().to_string(), "page torn");
    assert!(Error::storage("plain").source().is_none());
}

#[test]
fn the_error_stays_small() {
    // It travels in every `Result`; clippy's `result_large_err` limit
    // is 128 bytes, and `generate::OptionError` adds 32 to it.
    assert!(
        std::mem::size_of::<Error>() <= 88,
        "{}",
        std::mem::size_of::<Error>()
    );
}

#[test]
fn codes_are_unique_stable_snake_case() {
    let mut seen = std::collections::HashSet::new();
    for c in Code::ALL {
        let s = c.as_str();
        assert!(
            s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
            "{s}"
        );
        assert!(seen.insert(s), "{s} twice");
        assert_eq!(c.to_string(), s);
    }
    // No specific code reuses a kind's code.
    for k in [
        ErrorKind::Input,
        ErrorKind::NotFound,
        ErrorKind::Invalid,
        ErrorKind::Sample,
    ] {
        assert!(!seen.contains(k.code()), "{k}");
    }
    assert_eq!(Code::ALL.len(), seen.len());
}

#[test]
fn structural_errors_name_their_subject() {
    let e = Error::input("edges.csv", 7, "unknown sign 'x'");
    assert_eq!(e.code(), "input");
    assert_eq!(
        e.subject(),
        Some(Subject::File(FileLoc {
            path: "edges.csv".into(),
            line: 7
        }))
    );
    let e = Error::io("out.csv", std::io::Error::other("full"));
    assert_eq!(e.code(), "io");
    assert_eq!(e.subject(), Some(Subject::file("out.csv")));
    let e = Error::NotFound {
        kind: "graph",
        name: "g@3".into(),
        hint: None,
    };
    assert_eq!(e.code(), "not_found");
    let g3 = Subject::Object {
        kind: "graph",
        name: "g".into(),
        version: Some(3),
    };
    assert_eq!(e.subject(), Some(g3.clone()));
    let e = Error::Corrupt {
        kind: "graph",
        name: "g".into(),
        version: 3,
        detail: "torn".into(),
    };
    assert_eq!((e.code(), e.subject()), ("corrupt", Some(g3)));
    let e = Error::Locked {
        path: "x.vdb".into(),
    };
    assert_eq!(e.subject(), Some(Subject::Database("x.vdb".into())));
    assert_eq!(
        (Error::Cancelled.code(), Error::Cancelled.subject()),
        ("cancelled", None)
    );
    assert_eq!(Error::invalid("x").subject(), None);
}

#[test]
fn a_generate_option_error_keeps_its_option() {
    let e: Error = crate::generate::OptionError {
        option: "workers",
        related: None,
        error: Error::invalid_hint("workers = 0 is out of range", "at least 1"),
    }
    .into();
    assert_eq!(e.code(), "bad_option");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.subject(), Some(Subject::Option("workers".into())));
    assert_eq!(e.to_string(), "workers = 0 is out of range");
    assert_eq!(e.hint(), Some("at least 1"));
}

#[test]
fn snapshot_and_payload_errors_keep_the_decoder_error() {
    let e = crate::SignedGraph::from_snapshot(b"not a snapshot").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.to_string().contains("corrupt graph snapshot"), "{e}");
    assert!(e.source().is_some(), "rkyv's error is the source");
    let e = crate::Dataset::from_bytes(b"nope").unwrap_err();
    assert!(e.source().is_some(), "{e}");
    let e = crate::Catalogue::from_bytes(b"{").unwrap_err();
    assert!(
        e.source()
            .unwrap()
            .downcast_ref::<serde_json::Error>()
            .is_some(),
        "{e}"
    );
}
