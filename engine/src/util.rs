//! Small shared helpers: safe output files, timestamps.
//!
//! Output files never destroy what is at their path: a regular file (or a
//! new path) is written to a temporary sibling `.NAME.valence-tmp-PID` and
//! renamed into place; a symlink is followed and its target written the same
//! way; anything else (character or block device, FIFO, `/dev/stdout`) is
//! written in place, streaming. A path that names the very file or FIFO the
//! process's standard output (or error) is redirected to (`valence ... >
//! out.csv` exporting to `out.csv`) is written through that stream, like
//! `/dev/stdout`: a rename would leave the stream writing into an unlinked
//! file, losing what is printed after the export.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A writer that output functions receive (`Send` so Parquet can use it).
pub type Sink<'a> = &'a mut (dyn Write + Send);

/// How one output path is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// A regular file or a new path: temporary sibling, then rename onto `path`.
    Atomic { path: PathBuf, temp: PathBuf },
    /// A device, FIFO or similar: opened for writing, no rename.
    InPlace(PathBuf),
    /// The process's standard output or error (`/dev/stdout`, `/dev/fd/1`, ...),
    /// written through the already-open descriptor so shell redirections and
    /// the results printed around it keep their order.
    Stdio(u8),
}

fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.valence-tmp-{}", std::process::id()))
}

fn std_stream(path: &Path) -> Option<u8> {
    match path.to_str()? {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(1),
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(2),
        _ => None,
    }
}

/// The standard stream (1 or 2) that is redirected to the regular file or
/// FIFO at `path` (symlinks followed), if one is: same device and inode.
#[cfg(unix)]
fn same_file_as_std_stream(path: &Path) -> Option<u8> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let target = std::fs::metadata(path).ok()?;
    let ft = target.file_type();
    if !(ft.is_file() || std::os::unix::fs::FileTypeExt::is_fifo(&ft)) {
        // Devices (`/dev/null`, a terminal) are written in place anyway.
        return None;
    }
    let stream = |fd: std::os::fd::BorrowedFd<'_>| {
        let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
        file.metadata().ok()
    };
    let same = |m: std::fs::Metadata| m.dev() == target.dev() && m.ino() == target.ino();
    if stream(std::io::stdout().as_fd()).is_some_and(same) {
        Some(1)
    } else if stream(std::io::stderr().as_fd()).is_some_and(same) {
        Some(2)
    } else {
        None
    }
}

#[cfg(not(unix))]
fn same_file_as_std_stream(_path: &Path) -> Option<u8> {
    None
}

/// Decides how `path` is written, following symlinks (at most 40 hops).
pub fn output_target(path: &Path) -> Result<OutputTarget> {
    if let Some(fd) = std_stream(path).or_else(|| same_file_as_std_stream(path)) {
        return Ok(OutputTarget::Stdio(fd));
    }
    let mut cur = path.to_path_buf();
    for _ in 0..40 {
        if let Some(fd) = std_stream(&cur) {
            return Ok(OutputTarget::Stdio(fd));
        }
        let meta = match std::fs::symlink_metadata(&cur) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let temp = temp_sibling(&cur);
                return Ok(OutputTarget::Atomic { path: cur, temp });
            }
            Err(e) => return Err(Error::io(&cur, e)),
            Ok(m) => m,
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let link = std::fs::read_link(&cur).map_err(|e| Error::io(&cur, e))?;
            if cur.starts_with("/proc") || cur.starts_with("/dev/fd") {
                // Kernel "magic" links (pipe:[n], socket:[n]) are not paths.
                return Ok(OutputTarget::InPlace(cur));
            }
            cur = match cur.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            };
        } else if ft.is_file() && (cur.starts_with("/proc") || cur.starts_with("/sys")) {
            // Kernel files cannot be replaced by a rename: written in place.
            return Ok(OutputTarget::InPlace(cur));
        } else if ft.is_file() {
            let temp = temp_sibling(&cur);
            return Ok(OutputTarget::Atomic { path: cur, temp });
        } else if ft.is_dir() {
            return Err(Error::rejected(
                crate::Code::BadTarget,
                crate::Subject::file(&cur),
                format!("'{}' is a directory", cur.display()),
                "give a file name, e.g. 'out/data.jsonl'",
            ));
        } else {
            return Ok(OutputTarget::InPlace(cur));
        }
    }
    Err(Error::rejected(
        crate::Code::BadTarget,
        crate::Subject::file(path),
        format!("too many levels of symbolic links at '{}'", path.display()),
        "point the link chain at a file",
    ))
}

/// Whether an export to `path` is written to this process's standard output
/// (`/dev/stdout`, `/dev/fd/1`, a symlink to them, or the file or FIFO
/// standard output is redirected to): a front-end that prints results there
/// keeps them apart from the data.
pub fn is_standard_output(path: &Path) -> bool {
    matches!(output_target(path), Ok(OutputTarget::Stdio(1)))
}

/// One file of a multi-file write whose temporary is written but not yet
/// renamed.
struct Pending {
    path: PathBuf,
    temp: PathBuf,
}

fn write_temp(
    temp: &Path,
    keep_mode_of: &Path,
    f: &mut dyn FnMut(Sink<'_>) -> std::io::Result<u64>,
) -> std::io::Result<u64> {
    // Said apart: "No such file" about a target that exists misleads.
    let file = std::fs::File::create(temp).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "cannot create the temporary file {} beside it (exports are written there, \
                 then renamed): {e}",
                temp.display()
            ),
        )
    })?;
    if let Ok(m) = std::fs::metadata(keep_mode_of) {
        file.set_permissions(m.permissions())?;
    }
    let mut w = BufWriter::new(file);
    let n = f(&mut w)?;
    w.flush()?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(n)
}

fn write_in_place(
    target: &OutputTarget,
    f: &mut dyn FnMut(Sink<'_>) -> std::io::Result<u64>,
) -> std::io::Result<u64> {
    match target {
        OutputTarget::Stdio(1) => {
            let mut out = std::io::stdout();
            let n = f(&mut out)?;
            out.flush()?;
            Ok(n)
        }
        OutputTarget::Stdio(_) => {
            let mut err = std::io::stderr();
            let n = f(&mut err)?;
            err.flush()?;
            Ok(n)
        }
        OutputTarget::InPlace(p) | OutputTarget::Atomic { path: p, .. } => {
            let file = std::fs::OpenOptions::new().write(true).open(p)?;
            let mut w = BufWriter::new(file);
            let n = f(&mut w)?;
            w.flush()?;
            Ok(n)
        }
    }
}

/// Writes several files so that either all appear or none does: every
/// regular target is first written to its temporary sibling, and only when
/// all are complete are they renamed into place (devices and FIFOs are
/// written in place during the first pass). `f(i, w)` writes file `i` and
/// returns a count. Parent directories are created. On error every
/// temporary is removed and no target is touched.
pub fn write_all_or_none(
    paths: &[PathBuf],
    mut f: impl FnMut(usize, Sink<'_>) -> std::io::Result<u64>,
) -> Result<Vec<u64>> {
    let mut pending: Vec<Pending> = Vec::new();
    let cleanup = |pending: &[Pending]| {
        for p in pending {
            let _ = std::fs::remove_file(&p.temp);
        }
    };
    let mut counts = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        let res = (|| -> Result<u64> {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let target = output_target(path)?;
            let mut one = |w: Sink<'_>| f(i, w);
            match target {
                OutputTarget::Atomic {
                    path: final_path,
                    temp,
                } => {
                    pending.push(Pending {
                        path: final_path.clone(),
                        temp: temp.clone(),
                    });
                    write_temp(&temp, &final_path, &mut one).map_err(|e| Error::io(path, e))
                }
                other => write_in_place(&other, &mut one).map_err(|e| Error::io(path, e)),
            }
        })();
        match res {
            Ok(n) => counts.push(n),
            Err(e) => {
                cleanup(&pending);
                return Err(e);
            }
        }
    }
    for (k, p) in pending.iter().enumerate() {
        if let Err(e) = std::fs::rename(&p.temp, &p.path) {
            cleanup(&pending[k..]);
            return Err(Error::io(&p.path, e));
        }
    }
    Ok(counts)
}

/// Writes one output file safely (see the module doc); returns what `f`
/// returns (e.g. a row count).
pub fn write_output(
    path: &Path,
    mut f: impl FnMut(Sink<'_>) -> std::io::Result<u64>,
) -> Result<u64> {
    let counts = write_all_or_none(&[path.to_path_buf()], |_, w| f(w))?;
    Ok(counts.first().copied().unwrap_or(0))
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) for a Unix time.
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn standard_output_paths() {
        use std::path::Path;
        for p in ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"] {
            assert!(super::is_standard_output(Path::new(p)), "{p}");
        }
        assert!(!super::is_standard_output(Path::new("/dev/stderr")));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.csv");
        assert!(!super::is_standard_output(&f));
        std::fs::write(&f, "").unwrap();
        assert!(!super::is_standard_output(&f));
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(super::format_utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::format_utc(1_795_000_000), "2026-11-18 11:06:40");
    }
}
