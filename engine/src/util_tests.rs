//! Safe output files: all-or-none with the replaced files put back, two
//! paths naming one file, exclusive temporaries, read-only targets.

use std::path::{Path, PathBuf};

use super::*;

/// Every `.valence-*` sibling left in `dir` (temporaries, kept files).
pub(crate) fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".valence-"))
        .collect()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// Writes "new i" to file i.
fn write_new(paths: &[PathBuf]) -> Result<Vec<u64>> {
    write_all_or_none(paths, |i, w| {
        write!(w, "new {i}")?;
        Ok(i as u64)
    })
}

fn three(dir: &Path) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = ["a", "b", "c"].iter().map(|n| dir.join(n)).collect();
    std::fs::write(&paths[0], "old a").unwrap();
    std::fs::write(&paths[2], "old c").unwrap();
    paths
}

/// A rename that fails after others succeeded: the files already replaced
/// are put back (a new one removed), nothing is left behind.
#[test]
fn a_failed_rename_puts_back_the_files_already_replaced() {
    for k in 0..3 {
        let d = tempfile::tempdir().unwrap();
        let paths = three(d.path());
        FAULT.with(|f| f.set(Some((Step::Rename, k))));
        let e = write_new(&paths);
        FAULT.with(|f| f.set(None));
        assert!(e.is_err(), "rename {k}");
        assert_eq!(read(&paths[0]), "old a", "rename {k}");
        assert!(
            !paths[1].exists(),
            "rename {k}: b was new, it is gone again"
        );
        assert_eq!(read(&paths[2]), "old c", "rename {k}");
        assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    }
}

/// A file that cannot be kept aside (an immutable file, another user's file
/// in a sticky directory): nothing is touched.
#[test]
fn a_file_that_cannot_be_kept_aside_stops_before_anything_is_replaced() {
    let d = tempfile::tempdir().unwrap();
    let paths = three(d.path());
    FAULT.with(|f| f.set(Some((Step::KeepAside, 2))));
    let e = write_new(&paths);
    FAULT.with(|f| f.set(None));
    assert!(e.is_err());
    assert_eq!(read(&paths[0]), "old a");
    assert!(!paths[1].exists());
    assert_eq!(read(&paths[2]), "old c");
    assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
    // Without the fault, all three are replaced and the kept files removed.
    write_new(&paths).unwrap();
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(read(p), format!("new {i}"));
    }
    assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
}

/// Two parts whose paths name one file (a link between them) are refused
/// before anything is written.
#[test]
fn two_paths_naming_one_file_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let train = d.path().join("ds.train.jsonl");
    let test = d.path().join("ds.test.jsonl");
    std::fs::write(&train, "OLD").unwrap();
    std::os::unix::fs::symlink("ds.train.jsonl", &test).unwrap();
    let e = write_new(&[train.clone(), test.clone()]).unwrap_err();
    assert_eq!(e.code(), "bad_target");
    assert!(e.to_string().contains("are the same file"), "{e}");
    assert_eq!(read(&train), "OLD");
    let e = write_new(&[train.clone(), d.path().join("sub/../ds.train.jsonl")]).unwrap_err();
    assert!(e.to_string().contains("are the same file"), "{e}");
    assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
}

/// The temporary is created exclusively under an unguessable name: a link
/// planted at the old predictable name `.NAME.valence-tmp-PID` is never
/// written through.
#[test]
fn a_link_at_a_temporary_name_is_never_followed() {
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim.txt");
    std::fs::write(&victim, "PRECIOUS").unwrap();
    let planted = d
        .path()
        .join(format!(".out.jsonl.valence-tmp-{}", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let out = d.path().join("out.jsonl");
    write_new(std::slice::from_ref(&out)).unwrap();
    assert_eq!(read(&victim), "PRECIOUS");
    assert_eq!(read(&out), "new 0");
    assert!(std::fs::symlink_metadata(&out).unwrap().is_file());
    let (a, b) = (sibling(&out, "tmp"), sibling(&out, "tmp"));
    assert_ne!(a, b, "every temporary has its own name");
    // The temporary refuses to open a file that exists at its name.
    let (f, t) = create_temp(&out).unwrap();
    drop(f);
    assert!(
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&t)
            .is_err()
    );
    std::fs::remove_file(&t).unwrap();
}

/// A target whose write permission is off is refused, not replaced.
#[test]
fn a_read_only_target_is_refused_and_kept() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("keep.csv");
    std::fs::write(&p, "mine").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    let e = write_new(std::slice::from_ref(&p)).unwrap_err();
    assert_eq!(e.code(), "bad_target");
    assert!(e.to_string().contains("is read-only"), "{e}");
    assert!(e.hint().unwrap().contains("chmod u+w"), "{e:?}");
    assert_eq!(read(&p), "mine");
    assert!(leftovers(d.path()).is_empty());
}

/// A parent that is a file (or a dangling link) is named as such, not
/// reported as "File exists".
#[test]
fn a_parent_that_is_not_a_directory_is_said_so() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("afile"), "x").unwrap();
    std::os::unix::fs::symlink("nowhere", d.path().join("dangling")).unwrap();
    for parent in ["afile", "dangling"] {
        let p = d.path().join(parent).join("out.csv");
        let e = write_new(std::slice::from_ref(&p)).unwrap_err();
        assert_eq!(e.code(), "bad_target", "{e}");
        assert!(e.to_string().contains("is not a directory"), "{e}");
        assert!(e.to_string().contains(parent), "{e}");
    }
}

#[test]
fn utc_formatting() {
    assert_eq!(format_utc(0), "1970-01-01 00:00:00");
    assert_eq!(format_utc(1_795_000_000), "2026-11-18 11:06:40");
}

#[test]
fn standard_output_paths() {
    for p in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
        assert!(is_standard_output(Path::new(p)), "{p}");
    }
    assert!(!is_standard_output(Path::new("/dev/stderr")));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.csv");
    assert!(!is_standard_output(&f));
    std::fs::write(&f, "").unwrap();
    assert!(!is_standard_output(&f));
}
