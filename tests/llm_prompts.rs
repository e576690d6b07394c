//! Every prompt is configurable from a `prompts` directory: enrichment per
//! modality and its fallback, cluster label, cluster compatibility and
//! classification; files are checked when the statement starts; the
//! template text is part of the journal key; EXPLAIN names the template of
//! each phase.

use std::path::Path;
use std::sync::atomic::Ordering;

use valence_engine::generate::{
    BackendKind, ClusterOptions, GenerateOptions, MemJournal, run_brute_force, run_cluster,
};
use valence_engine::{Ctx, SignedGraph};

use crate::cluster_gen::synth_mid;
use crate::llm_cluster_server::{Server, serve};

fn write_prompts(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files = [
        (
            "enrich_brand.txt",
            "MARK-BRAND Describe the brand {value} precisely.",
        ),
        (
            "enrich.txt",
            "MARK-FALLBACK Describe {value}, a {attribute_type}.",
        ),
        (
            "label.txt",
            "MARK-LABEL These {modality} attributes were grouped together based on semantic similarity:\n{members}\nReturn JSON with label, summary, characteristics.",
        ),
        (
            "score.txt",
            "MARK-SCORE Score how well a source cluster fits each target.\nSOURCE \u{2014} {modality_a}: {label_a}\nMembers: {members_a}\nTARGET CLUSTERS:\n{targets}\nJSON:",
        ),
        (
            "classify.txt",
            "MARK-CLASSIFY\nPRIMARY ATTRIBUTE: \"{primary_attr}\"\nCATEGORY: {primary_mod}\n{attr_list}\nReturn a JSON object of +, - or 0 per number.",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn cluster(server: &Server, prompts: Option<&Path>) -> ClusterOptions {
    ClusterOptions {
        embedding_model: "e".into(),
        ..ClusterOptions::with_generate(GenerateOptions {
            backend: BackendKind::OpenAi,
            base_url: Some(server.base_url.clone()),
            model: "m".into(),
            prompts: prompts.map(Path::to_path_buf),
            ..GenerateOptions::default()
        })
    }
}

fn edges(g: &SignedGraph) -> Vec<(u32, u32, bool)> {
    let mut v: Vec<_> = g
        .edges()
        .map(|(a, b, s)| (a, b, s == valence_engine::Sign::Pos))
        .collect();
    v.sort();
    v
}

/// The prompts the server saw of `kind`.
fn prompts_of(server: &Server, kind: &str) -> Vec<String> {
    server
        .shared
        .distinct
        .lock()
        .unwrap()
        .get(kind)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default()
}

/// Every overridden prompt kind reaches the model with its file's text
/// (brand's own enrichment file, the fallback for audience), and the graph
/// is the one the built-in prompts give (the server answers the same).
#[test]
fn every_prompt_kind_is_read_from_the_prompts_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let prompts = dir.path().join("prompts");
    write_prompts(&prompts);
    let plain = serve(&sg);
    let (want, _) = run_cluster(
        &MemJournal::default(),
        &cat,
        &cluster(&plain, None),
        &Ctx::default(),
    )
    .unwrap();
    let server = serve(&sg);
    let (g, _) = run_cluster(
        &MemJournal::default(),
        &cat,
        &cluster(&server, Some(&prompts)),
        &Ctx::default(),
    )
    .unwrap();
    assert_eq!(edges(&g), edges(&want));
    let describe = prompts_of(&server, "describe_batch");
    assert!(
        describe.iter().any(|p| p.contains("MARK-BRAND")),
        "{describe:?}"
    );
    assert!(describe.iter().any(|p| p.contains("MARK-FALLBACK")));
    assert!(
        !describe
            .iter()
            .any(|p| p.contains("MARK-BRAND") && p.contains("MARK-FALLBACK"))
    );
    for (kind, mark) in [
        ("label", "MARK-LABEL"),
        ("score", "MARK-SCORE"),
        ("classify", "MARK-CLASSIFY"),
    ] {
        let seen = prompts_of(&server, kind);
        assert!(
            !seen.is_empty() && seen.iter().all(|p| p.contains(mark)),
            "{kind}"
        );
    }
    assert!(
        prompts_of(&plain, "classify")
            .iter()
            .all(|p| !p.contains("MARK"))
    );
}

/// A file missing a placeholder it must use, or a file name Valence does
/// not know, is one error naming the file, before any request.
#[test]
fn bad_prompt_files_are_refused_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let server = serve(&sg);
    let prompts = dir.path().join("p1");
    std::fs::create_dir_all(&prompts).unwrap();
    std::fs::write(prompts.join("score.txt"), "Score these: {label_a}").unwrap();
    let e = run_cluster(
        &MemJournal::default(),
        &cat,
        &cluster(&server, Some(&prompts)),
        &Ctx::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("score.txt") && e.contains("{targets}"), "{e}");
    let prompts = dir.path().join("p2");
    std::fs::create_dir_all(&prompts).unwrap();
    std::fs::write(prompts.join("labels.txt"), "{members}").unwrap();
    let e = run_cluster(
        &MemJournal::default(),
        &cat,
        &cluster(&server, Some(&prompts)),
        &Ctx::default(),
    )
    .unwrap_err();
    let e = format!("{e} {}", e.hint().unwrap_or_default());
    assert!(e.contains("labels.txt") && e.contains("label.txt"), "{e}");
    assert_eq!(server.shared.seen_total(), 0);
}

/// The template text is part of the journal key: the same statement with
/// another classification template asks again; with the same one it
/// replays.
#[test]
fn the_template_text_is_part_of_the_journal_key() {
    let dir = tempfile::tempdir().unwrap();
    let (cat, _, sg) = synth_mid(dir.path());
    let prompts = dir.path().join("prompts");
    write_prompts(&prompts);
    let server = serve(&sg);
    let journal = MemJournal::default();
    let o = cluster(&server, Some(&prompts)).generate;
    let (_, r1) = run_brute_force(&journal, &cat, &o, &Ctx::default()).unwrap();
    let (_, r2) = run_brute_force(&journal, &cat, &o, &Ctx::default()).unwrap();
    assert_eq!((r2.calls_made, r2.calls_replayed), (0, r1.planned_calls));
    let plain = GenerateOptions { prompts: None, ..o };
    let before = server.shared.chat.load(Ordering::SeqCst);
    let (_, r3) = run_brute_force(&journal, &cat, &plain, &Ctx::default()).unwrap();
    assert_eq!(r3.calls_made, r1.planned_calls);
    assert_eq!(
        server.shared.chat.load(Ordering::SeqCst) - before,
        r1.planned_calls
    );
}

/// EXPLAIN says which template each phase uses.
#[test]
fn explain_names_each_phase_s_template() {
    let dir = tempfile::tempdir().unwrap();
    synth_mid(dir.path());
    let prompts = dir.path().join("prompts");
    write_prompts(&prompts);
    std::fs::remove_file(prompts.join("classify.txt")).unwrap();
    let db = valence::Database::in_memory().unwrap();
    let r = db
        .execute(&format!(
            "LOAD CATALOGUE c FROM '{}'; EXPLAIN GENERATE GRAPH g FROM c USING CLUSTER WITH (prompts = '{}');",
            dir.path().join("cat.csv").display(),
            prompts.display()
        ))
        .unwrap();
    let t = r[1].table();
    let template = |phase: &str| -> String {
        let row = (0..t.rows.len())
            .find(|&i| t.get(i, "phase").and_then(|v| v.as_str()) == Some(phase))
            .unwrap();
        t.get(row, "template")
            .and_then(|v| v.as_str())
            .unwrap()
            .to_string()
    };
    let enrich = template("enrichment");
    assert!(
        enrich.contains("enrich.txt") && enrich.contains("enrich_brand.txt"),
        "{enrich}"
    );
    assert!(template("labelling").ends_with("label.txt"));
    assert!(template("cluster_scoring").ends_with("score.txt"));
    assert_eq!(
        template("attribute_classification"),
        "built-in (Appendix A)"
    );
}
