//! Format resolution and safe output targets.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::util::tests::leftovers;
use crate::util::{OutputTarget, output_target, write_all_or_none, write_output};

#[test]
fn dataset_format_follows_the_extension() {
    let f = |p: &str, x: Option<DatasetFormat>| resolve_dataset_format(Path::new(p), x);
    assert_eq!(f("out/a.csv", None).unwrap(), DatasetFormat::Csv);
    assert_eq!(f("out/a.CSV", None).unwrap(), DatasetFormat::Csv);
    assert_eq!(f("a.jsonl", None).unwrap(), DatasetFormat::Jsonl);
    assert_eq!(f("a.json", None).unwrap(), DatasetFormat::Jsonl);
    assert_eq!(f("a.parquet", None).unwrap(), DatasetFormat::Parquet);
    // Explicit and agreeing, or explicit with an extension that names no format.
    assert_eq!(
        f("a.json", Some(DatasetFormat::Jsonl)).unwrap(),
        DatasetFormat::Jsonl
    );
    assert_eq!(
        f("/dev/stdout", Some(DatasetFormat::Csv)).unwrap(),
        DatasetFormat::Csv
    );
    assert_eq!(
        f("a.txt", Some(DatasetFormat::Parquet)).unwrap(),
        DatasetFormat::Parquet
    );
    let e = f("a.csv", Some(DatasetFormat::Jsonl))
        .unwrap_err()
        .to_string();
    assert!(e.contains("FORMAT jsonl contradicts"), "{e}");
    let e = f("a.graphml", Some(DatasetFormat::Csv))
        .unwrap_err()
        .to_string();
    assert!(e.contains("contradicts"), "{e}");
    let e = f("a.txt", None).unwrap_err();
    assert!(e.to_string().contains("cannot tell the format"), "{e}");
    assert!(format!("{e:?}").contains("parquet"), "{e:?}");
    assert!(f("noext", None).is_err());
}

#[test]
fn graph_format_follows_the_extension() {
    let f = |p: &str, x: Option<GraphFormat>| resolve_graph_format(Path::new(p), x);
    assert_eq!(f("g.csv", None).unwrap(), GraphFormat::Csv);
    assert_eq!(f("g.graphml", None).unwrap(), GraphFormat::GraphMl);
    assert_eq!(f("g.dot", None).unwrap(), GraphFormat::Dot);
    assert_eq!(f("g.parquet", None).unwrap(), GraphFormat::Parquet);
    assert!(f("g.csv", Some(GraphFormat::Dot)).is_err());
    let e = f("g.jsonl", None).unwrap_err().to_string();
    assert!(e.contains("not a graph format"), "{e}");
    assert!(f("g.out", None).is_err());
    assert_eq!(
        f("g.out", Some(GraphFormat::Dot)).unwrap(),
        GraphFormat::Dot
    );
}

#[test]
fn part_paths_go_before_the_extension() {
    assert_eq!(
        part_path(Path::new("out/ds.jsonl"), "train"),
        PathBuf::from("out/ds.train.jsonl")
    );
    assert_eq!(part_path(Path::new("ds"), "test"), PathBuf::from("ds.test"));
}

fn write_text(path: &Path, text: &str) -> crate::Result<u64> {
    write_output(path, |w| {
        w.write_all(text.as_bytes())?;
        Ok(text.len() as u64)
    })
}

#[test]
fn a_regular_file_is_replaced_atomically_and_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.csv");
    std::fs::write(&p, "old").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(
        output_target(&p).unwrap(),
        OutputTarget::Atomic { path: p.clone() }
    );
    write_text(&p, "new").unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert!(leftovers(d.path()).is_empty());
}

#[test]
fn a_failed_write_leaves_the_old_file_and_no_temporary() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.csv");
    std::fs::write(&p, "old").unwrap();
    let err = write_output(&p, |w| {
        w.write_all(b"half")?;
        Err(std::io::Error::other("disk on fire"))
    })
    .unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
    assert!(leftovers(d.path()).is_empty());
}

#[test]
fn kernel_files_are_written_in_place_and_their_error_is_not_no_such_file() {
    let p = Path::new("/proc/version");
    let before = std::fs::read_to_string(p).unwrap();
    assert!(matches!(
        output_target(p).unwrap(),
        OutputTarget::InPlace(_)
    ));
    let err = write_text(p, "x").unwrap_err().to_string();
    assert!(!err.contains("No such file"), "{err}");
    assert!(err.contains("/proc/version"), "{err}");
    assert_eq!(std::fs::read_to_string(p).unwrap(), before);
}

#[test]
fn a_symlink_is_followed_and_stays_a_symlink() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("real")).unwrap();
    let target = d.path().join("real/data.csv");
    std::fs::write(&target, "old").unwrap();
    let link = d.path().join("link.csv");
    std::os::unix::fs::symlink("real/data.csv", &link).unwrap();
    write_text(&link, "new").unwrap();
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    assert!(leftovers(d.path()).is_empty());
    assert!(leftovers(&d.path().join("real")).is_empty());
    // A dangling link creates its target.
    let dangling = d.path().join("dangling.csv");
    std::os::unix::fs::symlink(d.path().join("real/new.csv"), &dangling).unwrap();
    write_text(&dangling, "x").unwrap();
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("real/new.csv")).unwrap(),
        "x"
    );
}

#[test]
fn a_device_node_is_written_in_place_not_replaced() {
    // A private character device with /dev/null's numbers (1, 3).
    let d = tempfile::tempdir().unwrap();
    let node = d.path().join("null");
    let st = Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .status()
        .expect("run mknod");
    assert!(st.success(), "mknod failed (tests run as root)");
    assert_eq!(
        output_target(&node).unwrap(),
        OutputTarget::InPlace(node.clone())
    );
    assert_eq!(write_text(&node, "discarded").unwrap(), 9);
    let ft = std::fs::symlink_metadata(&node).unwrap().file_type();
    assert!(ft.is_char_device(), "the device node was replaced: {ft:?}");
    assert!(leftovers(d.path()).is_empty());
}

#[test]
fn a_fifo_is_streamed_to_its_reader() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("pipe.csv");
    let st = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(st.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let text = "a,b\n".repeat(50_000); // larger than a pipe buffer
    write_text(&fifo, &text).unwrap();
    assert_eq!(reader.join().unwrap(), text);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn a_directory_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let e = write_text(d.path(), "x").unwrap_err().to_string();
    assert!(e.contains("is a directory"), "{e}");
}

#[test]
fn several_files_appear_all_or_none() {
    let d = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|n| d.path().join(format!("out/{n}.csv")))
        .collect();
    std::fs::create_dir_all(d.path().join("out")).unwrap();
    std::fs::write(&paths[0], "old a").unwrap();
    // The third file fails: nothing is renamed, the old a is kept.
    let err = write_all_or_none(&paths, |i, w| {
        if i == 2 {
            return Err(std::io::Error::other("boom"));
        }
        w.write_all(b"new")?;
        Ok(1)
    });
    assert!(err.is_err());
    assert_eq!(std::fs::read_to_string(&paths[0]).unwrap(), "old a");
    assert!(!paths[1].exists());
    assert!(leftovers(&d.path().join("out")).is_empty());
    let counts = write_all_or_none(&paths, |i, w| {
        write!(w, "file {i}")?;
        Ok(i as u64)
    })
    .unwrap();
    assert_eq!(counts, vec![0, 1, 2]);
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(std::fs::read_to_string(p).unwrap(), format!("file {i}"));
    }
}

#[test]
fn export_refusals_carry_a_code_and_the_path() {
    let file = |p: &str| Some(crate::Subject::file(p));
    let e = resolve_dataset_format(Path::new("a.csv"), Some(DatasetFormat::Jsonl)).unwrap_err();
    assert_eq!((e.code(), e.subject()), ("bad_format", file("a.csv")));
    let e = resolve_graph_format(Path::new("a.txt"), None).unwrap_err();
    assert_eq!((e.code(), e.subject()), ("bad_format", file("a.txt")));
    let e = DatasetFormat::parse("xml").unwrap_err();
    assert_eq!((e.code(), e.subject()), ("bad_format", None));
    let dir = tempfile::tempdir().unwrap();
    let e = output_target(dir.path()).unwrap_err();
    assert_eq!(e.code(), "bad_target");
    assert!(
        matches!(e.subject(), Some(crate::Subject::File(_))),
        "{e:?}"
    );
    let one = Split {
        parts: vec![("train".into(), 1.0)],
        seed: 0,
    };
    assert_eq!(
        (
            one.check().unwrap_err().code(),
            one.check().unwrap_err().subject()
        ),
        ("bad_split", None)
    );
}

/// A 4-row dataset over modalities `brand` and `label`, sampled from a graph
/// built in code (LOAD CATALOGUE and IMPORT GRAPH refuse `label`; a database
/// written by an older version may hold one).
fn dataset_with_label_modality() -> Dataset {
    let mut b = crate::GraphBuilder::new();
    for i in 0..3 {
        let x = b.add_node("brand", &format!("b{i}"));
        let y = b.add_node("label", &format!("l{i}"));
        b.add_edge(x, y, crate::Sign::Pos).unwrap();
    }
    let spec = crate::SampleSpec {
        total: 4,
        types: vec![
            crate::TypeQuota::new("brand", 1, 1),
            crate::TypeQuota::new("label", 1, 1),
        ],
        labels: vec![crate::LabelSpec::new("x", 4)],
        favour: vec![],
        avoid: vec![],
        options: Default::default(),
    };
    crate::sample(&b.build(), &spec, &crate::Ctx::default())
        .unwrap()
        .0
}

#[test]
fn a_dataset_whose_modality_is_a_column_name_is_not_exported() {
    let ds = dataset_with_label_modality();
    let dir = tempfile::tempdir().unwrap();
    let split = Split {
        parts: vec![("train".into(), 0.5), ("test".into(), 0.5)],
        seed: 1,
    };
    for (file, split) in [
        ("ds.jsonl", None),
        ("ds.csv", None),
        ("ds.parquet", None),
        ("ds.jsonl", Some(split)),
    ] {
        let options = ExportOptions {
            split,
            ..Default::default()
        };
        let e = export_dataset_to(&ds, &dir.path().join(file), &options).unwrap_err();
        let text = format!("{e:?}");
        assert!(
            text.contains("modality named 'label', which collides with its column 'label'")
                && text.contains("record_label"),
            "{text}"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn graphml_refuses_a_character_xml_cannot_carry_and_writes_nothing() {
    let mut b = crate::GraphBuilder::new();
    let x = b.add_node("brand", "ctl\u{1}char");
    let y = b.add_node("audience", "Kids");
    b.add_edge(x, y, crate::Sign::Pos).unwrap();
    let g = b.build();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.graphml");
    let e = write_graph(&g, &path, GraphFormat::GraphMl).unwrap_err();
    assert_eq!(
        (e.code(), e.subject()),
        ("bad_format", Some(crate::Subject::file(&path)))
    );
    let text = format!("{e:?}");
    assert!(
        text.contains("GraphML cannot hold the value 'ctl\\\\u{1}char': it contains U+0001")
            && text.contains("csv, dot or parquet"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    // The other formats keep the value.
    let csv = dir.path().join("g.csv");
    write_graph(&g, &csv, GraphFormat::Csv).unwrap();
    assert!(
        std::fs::read_to_string(csv)
            .unwrap()
            .contains("ctl\u{1}char")
    );
    // Tab, line feed and carriage return are XML characters: written.
    let mut b = crate::GraphBuilder::new();
    let x = b.add_node("brand", "a\tb");
    let y = b.add_node("audience", "Kids");
    b.add_edge(x, y, crate::Sign::Pos).unwrap();
    write_graph(&b.build(), &path, GraphFormat::GraphMl).unwrap();
}
