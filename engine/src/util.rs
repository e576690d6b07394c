//! Small shared helpers: safe output files, timestamps.
//!
//! Output files never destroy what is at their path: a regular file (or a
//! new path) is written to a fresh temporary sibling
//! `.NAME.valence-tmp-PID-N` (created exclusively: never through a link or
//! over a file already there) and renamed into place; a symlink is followed
//! and its target written the same way; anything else (character or block
//! device, FIFO, `/dev/stdout`) is written in place, streaming. A target
//! whose write permission is off is refused, not replaced. Several files
//! ([`write_all_or_none`]) appear all together or not at all: the files they
//! replace are kept aside until every rename has succeeded, and put back if
//! one fails.
//! A path that names the very file or FIFO the process's standard output
//! (or error) is redirected to (`valence ... > out.csv` exporting to
//! `out.csv`) is written through that stream, like `/dev/stdout`: a rename
//! would leave the stream writing into an unlinked file, losing what is
//! printed after the export.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// A writer that output functions receive (`Send` so Parquet can use it).
pub type Sink<'a> = &'a mut (dyn Write + Send);

/// How one output path is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// A regular file or a new path: a fresh temporary sibling, then a
    /// rename onto `path`.
    Atomic { path: PathBuf },
    /// A device, FIFO or similar: opened for writing, no rename.
    InPlace(PathBuf),
    /// The process's standard output or error (`/dev/stdout`, `/dev/fd/1`, ...),
    /// written through the already-open descriptor so shell redirections and
    /// the results printed around it keep their order.
    Stdio(u8),
}

/// A sibling of `path` named `.NAME.valence-KIND-PID-N`, N unique in this
/// process (a counter) and hard to guess (random bits).
fn sibling(path: &Path, kind: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(
        ".{name}.valence-{kind}-{}-{n}{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ))
}

fn std_stream(path: &Path) -> Option<u8> {
    match path.to_str()? {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(1),
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(2),
        _ => None,
    }
}

/// Refuses a regular file whose write permission is off (a file marked
/// read-only is protected, even from a rename that would replace it).
fn check_writable(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    let denied = meta.permissions().readonly()
        || matches!(
            std::fs::OpenOptions::new().write(true).open(path),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied
        );
    if denied {
        return Err(Error::rejected(
            crate::Code::BadTarget,
            crate::Subject::file(path),
            format!("'{}' is read-only: it is not replaced", path.display()),
            "make it writable (chmod u+w) or choose another path",
        ));
    }
    Ok(())
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
                return Ok(OutputTarget::Atomic { path: cur });
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
            check_writable(&cur, &meta)?;
            return Ok(OutputTarget::Atomic { path: cur });
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

/// Creates a fresh temporary sibling of `path` exclusively (`O_EXCL`: an
/// existing file or link at that name is never opened), retrying another
/// name if one exists.
fn create_temp(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    let mut last = None;
    for _ in 0..16 {
        let temp = sibling(path, "tmp");
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(f) => return Ok((f, temp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                // Said apart: "No such file" about a target that exists misleads.
                return Err(std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot create a temporary file beside it (exports are written to {}, \
                         then renamed): {e}",
                        temp.display()
                    ),
                ));
            }
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// Whether an export to `path` is written to this process's standard output
/// (`/dev/stdout`, `/dev/fd/1`, a symlink to them, or the file or FIFO
/// standard output is redirected to): a front-end that prints results there
/// keeps them apart from the data.
pub fn is_standard_output(path: &Path) -> bool {
    matches!(output_target(path), Ok(OutputTarget::Stdio(1)))
}

/// Writes `path`'s temporary sibling with `f`, keeping `path`'s mode if it
/// exists; the temporary's name once it is complete and synced.
fn write_temp(
    path: &Path,
    f: &mut dyn FnMut(Sink<'_>) -> std::io::Result<u64>,
    temps: &mut Vec<PathBuf>,
) -> std::io::Result<u64> {
    let (file, temp) = create_temp(path)?;
    temps.push(temp);
    if let Ok(m) = std::fs::metadata(path) {
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
        OutputTarget::InPlace(p) | OutputTarget::Atomic { path: p } => {
            let file = std::fs::OpenOptions::new().write(true).open(p)?;
            let mut w = BufWriter::new(file);
            let n = f(&mut w)?;
            w.flush()?;
            Ok(n)
        }
    }
}

/// Creates `path`'s parent directories; a parent that exists but is not a
/// directory (a file, a dangling link) is said so.
fn create_parent(path: &Path) -> Result<()> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    match std::fs::create_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists || !dir.is_dir() => {
            let blocker = dir
                .ancestors()
                .find(|a| std::fs::symlink_metadata(a).is_ok() && !a.is_dir())
                .unwrap_or(dir);
            Err(Error::rejected(
                crate::Code::BadTarget,
                crate::Subject::file(path),
                format!(
                    "cannot write '{}': '{}' is not a directory",
                    path.display(),
                    blocker.display()
                ),
                "give a path whose parent directories are directories (or can be created)",
            ))
        }
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// The file a target names, for telling two targets apart: its directory
/// canonicalised (links and `..` resolved) plus its name.
fn identity(t: &OutputTarget) -> Option<PathBuf> {
    match t {
        OutputTarget::Stdio(fd) => Some(PathBuf::from(format!("/dev/fd/{fd}"))),
        OutputTarget::Atomic { path } | OutputTarget::InPlace(path) => {
            let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
                Some(d) => std::fs::canonicalize(d).ok()?,
                None => std::env::current_dir().ok()?,
            };
            Some(dir.join(path.file_name()?))
        }
    }
}

/// One regular file of a multi-file write: its target, its complete
/// temporary, and where the file it replaces was kept aside.
struct Pending {
    path: PathBuf,
    temp: PathBuf,
    kept: Option<PathBuf>,
}

/// Keeps the file at `path` aside under a fresh sibling name: a hard link
/// (the file stays at `path` too), or a rename where links are refused.
fn keep_aside(path: &Path) -> std::io::Result<Option<PathBuf>> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let kept = sibling(path, "old");
    match std::fs::hard_link(path, &kept) {
        Ok(()) => Ok(Some(kept)),
        Err(_) => std::fs::rename(path, &kept).map(|()| Some(kept)),
    }
}

/// Puts the files of `done` back as they were (the ones kept aside renamed
/// back, the new ones removed); what could not be restored, said.
fn roll_back(done: &[Pending]) -> Vec<String> {
    let mut failed = Vec::new();
    for p in done {
        let r = match &p.kept {
            Some(k) => std::fs::rename(k, &p.path),
            None => std::fs::remove_file(&p.path),
        };
        if let Err(e) = r {
            failed.push(match &p.kept {
                Some(k) => format!(
                    "{} could not be restored ({e}); the previous file is kept at {}",
                    p.path.display(),
                    k.display()
                ),
                None => format!("{} could not be removed ({e})", p.path.display()),
            });
        }
    }
    failed
}

/// A step of [`commit`] that the tests can make fail.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Step {
    KeepAside,
    Rename,
}

#[cfg(test)]
thread_local! {
    /// The step (of file k) that fails as if the file system had refused it.
    pub(crate) static FAULT: std::cell::Cell<Option<(Step, usize)>> =
        const { std::cell::Cell::new(None) };
}

/// Fault injection for the tests ([`FAULT`]); nothing outside them.
fn fault(step: Step, k: usize) -> std::io::Result<()> {
    #[cfg(test)]
    if FAULT.with(|f| f.get()) == Some((step, k)) {
        return Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
    }
    let _ = (step, k);
    Ok(())
}

/// Renames every temporary onto its target, all or none: with several,
/// the files being replaced are first kept aside (nothing is touched if one
/// cannot be), and if a rename fails the ones done are rolled back.
fn commit(pending: &mut [Pending]) -> Result<()> {
    let several = pending.len() > 1;
    if several {
        for k in 0..pending.len() {
            match fault(Step::KeepAside, k).and_then(|()| keep_aside(&pending[k].path)) {
                Ok(kept) => pending[k].kept = kept,
                Err(e) => {
                    // Nothing replaced yet: put back any file a rename moved.
                    roll_back_kept(&pending[..k]);
                    return Err(Error::io(&pending[k].path, e));
                }
            }
        }
    }
    for k in 0..pending.len() {
        let renamed = fault(Step::Rename, k)
            .and_then(|()| std::fs::rename(&pending[k].temp, &pending[k].path));
        if let Err(e) = renamed {
            let failed = roll_back(&pending[..k]);
            roll_back_kept(&pending[k..]);
            let e = Error::io(&pending[k].path, e);
            if failed.is_empty() {
                return Err(e);
            }
            return Err(Error::storage(format!(
                "{e}; rolling back the files already replaced failed: {}",
                failed.join("; ")
            )));
        }
    }
    for p in pending.iter() {
        if let Some(k) = &p.kept {
            let _ = std::fs::remove_file(k);
        }
    }
    Ok(())
}

/// Undoes [`keep_aside`] for files not replaced: a hard link is removed, a
/// moved file is renamed back.
fn roll_back_kept(pending: &[Pending]) {
    for p in pending {
        if let Some(k) = &p.kept {
            if std::fs::symlink_metadata(&p.path).is_ok() {
                let _ = std::fs::remove_file(k);
            } else {
                let _ = std::fs::rename(k, &p.path);
            }
        }
    }
}

/// Writes several files so that either all appear or none does: every
/// regular target is first written to its temporary sibling, and only when
/// all are complete are they renamed into place (devices and FIFOs are
/// written in place during the first pass). `f(i, w)` writes file `i` and
/// returns a count. Parent directories are created. Two paths naming the
/// same file are refused before anything is written. On error every
/// temporary is removed and every target is as it was.
pub fn write_all_or_none(
    paths: &[PathBuf],
    mut f: impl FnMut(usize, Sink<'_>) -> std::io::Result<u64>,
) -> Result<Vec<u64>> {
    let mut targets = Vec::with_capacity(paths.len());
    let mut seen: Vec<(PathBuf, &PathBuf)> = Vec::new();
    for path in paths {
        create_parent(path)?;
        let t = output_target(path)?;
        if let Some(id) = identity(&t) {
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == id) {
                return Err(Error::rejected(
                    crate::Code::BadTarget,
                    crate::Subject::file(path),
                    format!(
                        "'{}' and '{}' are the same file",
                        first.display(),
                        path.display()
                    ),
                    "give every part its own file (remove the link between them, or choose other names)",
                ));
            }
            seen.push((id, path));
        }
        targets.push(t);
    }
    let mut temps: Vec<PathBuf> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut counts = Vec::with_capacity(paths.len());
    for (i, (path, target)) in paths.iter().zip(&targets).enumerate() {
        let mut one = |w: Sink<'_>| f(i, w);
        let res = match target {
            OutputTarget::Atomic { path: final_path } => {
                let n = write_temp(final_path, &mut one, &mut temps);
                if let (Ok(_), Some(temp)) = (&n, temps.last()) {
                    pending.push(Pending {
                        path: final_path.clone(),
                        temp: temp.clone(),
                        kept: None,
                    });
                }
                n
            }
            other => write_in_place(other, &mut one),
        };
        match res {
            Ok(n) => counts.push(n),
            Err(e) => {
                for t in &temps {
                    let _ = std::fs::remove_file(t);
                }
                return Err(Error::io(path, e));
            }
        }
    }
    let r = commit(&mut pending);
    for t in &temps {
        let _ = std::fs::remove_file(t);
    }
    r.map(|()| counts)
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

#[cfg(test)]
#[path = "util_tests.rs"]
pub(crate) mod tests;

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
