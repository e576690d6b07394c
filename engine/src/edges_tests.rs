//! Tests of the edge CSV reader: every error names the file and line.

use std::io::Write;
use std::path::PathBuf;

use crate::{Catalogue, Error, Sign, Subject, read_edges_csv};

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    p
}

fn catalogue(dir: &tempfile::TempDir) -> Catalogue {
    let p = file(
        dir,
        "cat.csv",
        "modality,value,description\nbrand,Nike,sportswear\nbrand,Rolex,\naudience,Athletes,\naudience,Budget Shoppers,\n",
    );
    Catalogue::from_csv(&p).unwrap()
}

/// The error's (line, message) for an input error; its subject is that
/// file and line, its code `input`.
fn input_err(e: Error) -> (u64, String) {
    assert_eq!(e.code(), "input");
    match (e.subject(), &e) {
        (Some(Subject::File(s)), Error::Input { loc, .. }) => assert_eq!(&s, loc),
        other => panic!("expected a file subject, got {other:?}"),
    }
    match e {
        Error::Input { loc, message, .. } => (loc.line, message),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn reads_edges_and_counts_neutral_and_duplicates() {
    let d = tempfile::tempdir().unwrap();
    let c = catalogue(&d);
    let p = file(
        &d,
        "e.csv",
        "source,target,rel,sign\nNike,Athletes,brand_to_audience,+\nBudget Shoppers,Rolex,audience_to_brand,-\nNike,Budget Shoppers,brand_to_audience,0\nAthletes,Nike,audience_to_brand,+\n",
    );
    let (g, st) = read_edges_csv(&p, Some(&c)).unwrap();
    assert_eq!(
        (st.rows, st.pos, st.neg, st.neutral, st.duplicates),
        (4, 1, 1, 1, 1)
    );
    assert_eq!(g.node_count(), 4);
    let (nike, ath) = (
        g.find("brand", "Nike").unwrap(),
        g.find("audience", "Athletes").unwrap(),
    );
    assert_eq!(g.sign(ath, nike), Some(Sign::Pos));
}

#[test]
fn errors_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let c = catalogue(&d);
    let cases = [
        (
            "source,target,sign\nNike,Athletes,+\n",
            1,
            "missing column(s): rel",
        ),
        (
            "source,target,rel,sign\nNike,Athletes,brand_to_audience,x\n",
            2,
            "unknown sign 'x'",
        ),
        (
            "source,target,rel,sign\nNike,,brand_to_audience,+\n",
            2,
            "empty target",
        ),
        (
            "source,target,rel,sign\nNike,Athletes,brandaudience,+\n",
            2,
            "does not match",
        ),
        (
            "source,target,rel,sign\nNike,Rolex,brand_to_brand,+\n",
            2,
            "same-modality edge",
        ),
        (
            "source,target,rel,sign\nNike,Gamers,brand_to_audience,+\n",
            2,
            "'Gamers' is not a 'audience' value",
        ),
        (
            "source,target,rel,sign\nNike,Athletes,brand_to_geo,+\n",
            2,
            "modality 'geo'",
        ),
        (
            "source,target,rel,sign\nNike,Athletes,brand_to_audience,+\n\nAthletes,Nike,audience_to_brand,-\n",
            4,
            "line 2 says +, line 4 says -",
        ),
    ];
    for (text, line, needle) in cases {
        let p = file(&d, "bad.csv", text);
        let (l, msg) = input_err(read_edges_csv(&p, Some(&c)).unwrap_err());
        assert_eq!(l, line, "{msg}");
        assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    }
    // Self-loop without a catalogue (same value, modalities differ is fine).
    let p = file(&d, "loop.csv", "source,target,rel,sign\nx,x,a_to_b,+\n");
    assert!(read_edges_csv(&p, None).is_ok());
}

#[test]
fn catalogue_errors_name_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        ("modality,name\nbrand,Nike\n", 1, "missing column"),
        ("modality,value\nbrand,Nike\nbrand,\n", 3, "empty value"),
        (
            "modality,value\nbrand,Nike\naudience,Nike\nbrand,Nike\n",
            4,
            "duplicate value 'Nike'",
        ),
        ("modality,value\n", 0, "no attributes"),
    ];
    for (text, line, needle) in cases {
        let p = file(&d, "c.csv", text);
        let (l, msg) = input_err(Catalogue::from_csv(&p).unwrap_err());
        assert_eq!(l, line, "{msg}");
        assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    }
}

#[test]
fn rel_with_underscored_modalities_resolves_against_catalogue() {
    let d = tempfile::tempdir().unwrap();
    let cp = file(
        &d,
        "c.csv",
        "modality,value\ncampaign_objective,Reach\nmedia_buy_to_x,CPM\n",
    );
    let c = Catalogue::from_csv(&cp).unwrap();
    let p = file(
        &d,
        "e.csv",
        "source,target,rel,sign\nReach,CPM,campaign_objective_to_media_buy_to_x,+\n",
    );
    let (g, _) = read_edges_csv(&p, Some(&c)).unwrap();
    assert_eq!(g.edge_counts(), (1, 0));
}

#[test]
fn export_then_import_round_trips() {
    let d = tempfile::tempdir().unwrap();
    let c = catalogue(&d);
    let p = file(
        &d,
        "e.csv",
        "source,target,rel,sign\nNike,Athletes,brand_to_audience,+\nBudget Shoppers,Rolex,audience_to_brand,-\n",
    );
    let (g, _) = read_edges_csv(&p, Some(&c)).unwrap();
    let out = d.path().join("out/edges.csv");
    crate::export::write_graph(&g, &out, crate::GraphFormat::Csv).unwrap();
    let (back, _) = read_edges_csv(&out, Some(&c)).unwrap();
    assert_eq!(
        back.edges().collect::<Vec<_>>(),
        g.edges().collect::<Vec<_>>()
    );
    for f in [crate::GraphFormat::GraphMl, crate::GraphFormat::Dot] {
        let o = d.path().join("g.out");
        assert_eq!(crate::export::write_graph(&g, &o, f).unwrap(), 2);
    }
}

#[test]
fn conflict_names_both_lines_even_with_a_later_error_and_crlf() {
    let d = tempfile::tempdir().unwrap();
    let c = catalogue(&d);
    // CRLF, quoted fields, blank lines; the conflict (line 6 against line 3)
    // comes before the bad sign of line 7, so it is the error reported.
    let text = "source,target,rel,sign\r\n\r\n\"Nike\",Athletes,brand_to_audience,+\r\n\
                Rolex,\"Budget Shoppers\",brand_to_audience,-\r\n\r\n\
                Athletes,Nike,audience_to_brand,-\r\nNike,Athletes,brand_to_audience,?\r\n";
    let p = file(&d, "crlf.csv", text);
    let (l, msg) = input_err(read_edges_csv(&p, Some(&c)).unwrap_err());
    assert_eq!(l, 6, "{msg}");
    assert!(
        msg.contains("'Athletes' / 'Nike': line 3 says +, line 6 says -"),
        "{msg}"
    );
    // Without the conflict the bad sign is reported at its own line.
    let p = file(
        &d,
        "crlf2.csv",
        &text.replace("Nike,audience_to_brand,-", "Nike,audience_to_brand,+"),
    );
    let (l, msg) = input_err(read_edges_csv(&p, Some(&c)).unwrap_err());
    assert_eq!((l, msg.contains("unknown sign '?'")), (7, true), "{msg}");
}

#[test]
fn duplicates_and_conflicts_are_found_far_apart_without_a_catalogue() {
    let d = tempfile::tempdir().unwrap();
    let mut text = String::from("source,target,rel,sign\n");
    for i in 0..3000 {
        text.push_str(&format!(
            "a{},b{},x_to_y,{}\n",
            i % 50,
            i / 50,
            if i % 7 == 0 { '-' } else { '+' }
        ));
    }
    // Line 3002: a duplicate of line 2 (a0,b0 is `-`), seen from the other side.
    text.push_str("b0,a0,y_to_x,-\n");
    let p = file(&d, "many.csv", &text);
    let (g, st) = read_edges_csv(&p, None).unwrap();
    let neg = (0..3000).filter(|i| i % 7 == 0).count() as u64;
    assert_eq!(
        (st.rows, st.pos, st.neg, st.duplicates),
        (3001, 3000 - neg, neg, 1)
    );
    assert_eq!(g.edge_counts(), (3000 - neg, neg));
    assert_eq!(g.node_count(), 110);
    // Every edge is where the file put it (independent recount).
    for i in 0..3000 {
        let a = g.find("x", &format!("a{}", i % 50)).unwrap();
        let b = g.find("y", &format!("b{}", i / 50)).unwrap();
        let want = if i % 7 == 0 { Sign::Neg } else { Sign::Pos };
        assert_eq!((g.sign(a, b), g.sign(b, a)), (Some(want), Some(want)));
    }
    // Now contradict line 2 at the end: both lines named.
    text.push_str("a0,b0,x_to_y,+\n");
    let p = file(&d, "conflict.csv", &text);
    let (l, msg) = input_err(read_edges_csv(&p, None).unwrap_err());
    assert_eq!(l, 3003, "{msg}");
    assert!(
        msg.contains("'a0' / 'b0': line 2 says -, line 3003 says +"),
        "{msg}"
    );
}

#[test]
fn reserved_column_names_are_refused_as_modalities_at_their_first_line() {
    let d = tempfile::tempdir().unwrap();
    for name in crate::dataset_columns::RESERVED {
        // Catalogue: the first row of the modality (line 3), not a later one.
        let text = format!("modality,value\nbrand,Nike\n{name},Sony\n{name},Warner\n");
        let p = file(&d, "c.csv", &text);
        let (l, msg) = input_err(Catalogue::from_csv(&p).unwrap_err());
        assert_eq!(l, 3, "{msg}");
        assert!(
            msg.contains(&format!("modality '{name}' is a reserved name"))
                && msg.contains(&format!("collide with the dataset column '{name}'")),
            "{msg}"
        );
        // Edges without a catalogue: the modality comes from `rel`.
        let text = format!(
            "source,target,rel,sign\nNike,Kids,brand_to_audience,+\nNike,Sony,brand_to_{name},-\n"
        );
        let p = file(&d, "e.csv", &text);
        let (l, msg) = input_err(read_edges_csv(&p, None).unwrap_err());
        assert_eq!(l, 3, "{msg}");
        assert!(
            msg.contains(&format!(
                "target modality '{name}' (from rel 'brand_to_{name}') is a reserved name"
            )),
            "{msg}"
        );
    }
    let p = file(&d, "c.csv", "modality,value\nlabel,Sony\n");
    let e = Catalogue::from_csv(&p).unwrap_err();
    assert!(format!("{e:?}").contains("record_label"), "{e:?}");
    // Names that only resemble a column are fine (the match is exact).
    let p = file(
        &d,
        "ok.csv",
        "modality,value\nrecord_label,Sony\nLabel,x\nrows,y\n",
    );
    assert_eq!(Catalogue::from_csv(&p).unwrap().modalities().len(), 3);
    // A catalogue stored before the rule: IMPORT GRAPH ... CATALOGUE refuses it.
    let old = Catalogue::from_bytes(
        br#"{"modalities":["brand","label"],"attributes":[{"modality":0,"value":"Nike"},{"modality":1,"value":"Sony"}]}"#,
    )
    .unwrap();
    let p = file(
        &d,
        "e.csv",
        "source,target,rel,sign\nNike,Sony,brand_to_label,+\n",
    );
    let e = read_edges_csv(&p, Some(&old)).unwrap_err();
    assert_eq!(e.code(), "invalid");
    assert!(
        e.to_string()
            .contains("the catalogue's modality 'label' is a reserved name"),
        "{e}"
    );
}

#[test]
fn control_characters_are_refused_in_values_and_modalities() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        (
            "modality,value\nbrand,Nike\nbrand,ctl\u{1}char\n",
            3,
            "value 'ctl\\u{1}char'",
        ),
        (
            "modality,value\nbr\u{1b}and,Nike\n",
            2,
            "modality 'br\\u{1b}and'",
        ),
        ("modality,value\nbrand,del\u{7f}\n", 2, "U+007F"),
    ];
    for (text, line, needle) in cases {
        let p = file(&d, "c.csv", text);
        let (l, msg) = input_err(Catalogue::from_csv(&p).unwrap_err());
        assert_eq!(l, line, "{msg}");
        assert!(
            msg.contains(needle) && msg.contains("control character"),
            "{msg:?} should contain {needle:?}"
        );
    }
    let cases = [
        ("x\u{1}y,b,m_to_n,+", "source 'x\\u{1}y'"),
        ("a,x\u{0}y,m_to_n,+", "target 'x\\u{0}y'"),
        ("a,b,m_to_n\u{2},+", "rel 'm_to_n\\u{2}'"),
    ];
    for (row, needle) in cases {
        let text = format!("source,target,rel,sign\na,b,m_to_n,+\n{row}\n");
        let p = file(&d, "e.csv", &text);
        let (l, msg) = input_err(read_edges_csv(&p, None).unwrap_err());
        assert_eq!(l, 3, "{msg}");
        assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
    }
    // A tab inside a value is kept, as before.
    let p = file(&d, "tab.csv", "modality,value\nbrand,a\tb\naudience,k\n");
    let c = Catalogue::from_csv(&p).unwrap();
    assert_eq!(c.find("brand", "a\tb"), Some(0));
}

proptest::proptest! {
    /// The adjacency built from sorted keys equals edges added one by one.
    #[test]
    fn keys_build_the_same_adjacency_as_incremental_adds(
        edges in proptest::collection::vec((0u32..40, 0u32..40, proptest::bool::ANY), 0..400),
    ) {
        use crate::edges::edge_keys::{EdgeKeys, adjacency};
        let mut b = crate::GraphBuilder::new();
        for i in 0..40 {
            b.add_node(if i % 2 == 0 { "even" } else { "odd" }, &format!("v{i}"));
        }
        let mut keys = EdgeKeys::default();
        for &(x, y, pos) in &edges {
            let s = if pos { Sign::Pos } else { Sign::Neg };
            if x % 2 != y % 2 && b.sign(x, y).is_none() {
                b.try_add_edge(x, y, s).unwrap();
                keys.push(x, y, s).unwrap();
                keys.push(y, x, s).unwrap(); // a duplicate, seen from the other side
            }
        }
        let sorted = keys.sort();
        proptest::prop_assert!(sorted.conflicts().is_empty());
        proptest::prop_assert_eq!(sorted.duplicates as usize, sorted.pos.len() + sorted.neg.len());
        let (pos, neg) = (adjacency(&sorted.pos, 40).unwrap(), adjacency(&sorted.neg, 40).unwrap());
        let want = b.build();
        for x in 0..40u32 {
            proptest::prop_assert_eq!(&pos[x as usize], want.pos(x));
            proptest::prop_assert_eq!(&neg[x as usize], want.neg(x));
        }
    }
}
