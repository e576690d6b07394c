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
