//! Opening and creating database files: the process-wide registry of open
//! files (`AlreadyOpen` vs `Locked`), atomic creation under a temporary
//! name, initialisation and the format-1 migration on open.

use std::path::{Path, PathBuf};

use redb::ReadableTable;

use super::check::migrate_from_1;
use super::open::{Handle, is_not_writable, unsupported};
use super::{
    COUNTERS, FORMAT_VERSION, JOURNAL, JOURNAL_SUMS, MANIFESTS, META, MIGRATES_FROM, OBJECT_SUMS,
    OBJECTS, Store, st,
};
use crate::{Error, Result};

/// The database files this process has open (redb allows one handle per
/// file): a second open of one of them is told "already open in this
/// process", not "locked by another process".
static OPEN_FILES: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<PathBuf>>> =
    std::sync::LazyLock::new(Default::default);

/// One name per file, whatever the spelling of its path: the canonical
/// directory joined with the file name (the file need not exist yet).
pub fn canonical_db_path(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(f)) => d.join(f),
        _ => path.to_path_buf(),
    }
}

pub(super) fn open_files() -> std::sync::MutexGuard<'static, std::collections::HashSet<PathBuf>> {
    OPEN_FILES.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(k) = &self.open_key {
            open_files().remove(k);
        }
    }
}

impl Store {
    /// Opens (or creates) a database file. A file held by another process
    /// gives [`Error::Locked`]; one this process already has open gives
    /// [`Error::AlreadyOpen`]. When creating a new file fails (a full disk,
    /// a file-size limit...), the partial file is removed: no stub is left
    /// that later opens would refuse.
    pub fn open(path: &Path) -> Result<Store> {
        let existed = std::fs::symlink_metadata(path).is_ok();
        let opened = if existed {
            match Store::open_lazy(path) {
                Ok(Some(s)) => Ok(s),
                Ok(None) => Store::open_or_create(path),
                Err(e) => Err(e),
            }
        } else {
            Store::create_atomically(path)
        };
        match opened {
            Ok(s) => Ok(s),
            // An existing file that cannot be opened for writing (its
            // permissions, a read-only mount): open it read-only instead.
            Err(Error::Io { source, .. }) if existed && is_not_writable(&source) => {
                Store::open_ro(path, true)
            }
            // Says what to do already (e.g. the directory must exist).
            Err(e @ Error::Invalid { .. }) => Err(e),
            Err(e) if !existed => {
                let left = std::fs::symlink_metadata(path).is_ok();
                let removed = !left || std::fs::remove_file(path).is_ok();
                Err(Error::invalid_hint(
                    format!(
                        "cannot create the database {}: {e}",
                        crate::limits::path(path)
                    ),
                    if removed {
                        "free space on the device or choose another directory; no file was left behind"
                    } else {
                        "free space on the device or choose another directory, and delete the partial file"
                    },
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Creates a new database under a temporary sibling name and links it
    /// into place only once it is initialised, so a crash (`kill -9`) while
    /// creating never leaves a file at `path` that later opens refuse. If
    /// another process created `path` meanwhile, that file is opened.
    fn create_atomically(path: &Path) -> Result<Store> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "db".into());
        let prefix = format!(".{name}.valence-creating.");
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let dir = dir.unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(Error::invalid_hint(
                format!(
                    "cannot create {}: the directory {} does not exist",
                    crate::limits::path(path),
                    crate::limits::path(dir)
                ),
                "the directory must exist",
            ));
        }
        remove_stale_creations(dir, &prefix);
        let tmp = path.with_file_name(format!("{prefix}{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let created = Store::open_or_create(&tmp).and_then(|mut s| {
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::io(path, e));
                }
                // A file system without hard links: rename (not exclusive).
                Err(_) => std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?,
            }
            // Known from now on under its real name (AlreadyOpen checks).
            let key = canonical_db_path(path);
            let mut registry = open_files();
            if let Some(old) = s.open_key.take() {
                registry.remove(&old);
            }
            registry.insert(key.clone());
            s.open_key = Some(key);
            s.path = Some(path.to_path_buf());
            Ok(s)
        });
        let _ = std::fs::remove_file(&tmp);
        let created = created.map_err(|e| match e {
            Error::Io { source, .. } => Error::io(path, source),
            other => other,
        });
        match created {
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                Store::open_or_create(path)
            }
            other => other,
        }
    }

    /// Opens an existing, initialised, current-format file without writing
    /// to it: held read-only until the first write transaction (see
    /// `open.rs`). `None` when the file needs the read-write open now (a
    /// repair after a crash, initialisation, a migration), or when that open
    /// reports the problem better (not a redb file...).
    fn open_lazy(path: &Path) -> Result<Option<Store>> {
        // Opening a descriptor for writing changes nothing in the file; a
        // file that refuses it is opened read-only by the caller.
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        {
            return if is_not_writable(&e) {
                Err(Error::io(path, e))
            } else {
                Ok(None)
            };
        }
        let mut registry = open_files();
        let key = canonical_db_path(path);
        if registry.contains(&key) {
            return Err(Error::AlreadyOpen {
                path: path.to_path_buf(),
            });
        }
        let db = match redb::ReadOnlyDatabase::open(path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(Error::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(_) => return Ok(None),
        };
        let mut s = Store {
            db: std::sync::RwLock::new(Handle::Lazy(db)),
            path: Some(path.to_path_buf()),
            open_key: None,
        };
        // Dropped unregistered (the registry is locked here) when not.
        if !s.is_initialised().unwrap_or(false) {
            return Ok(None);
        }
        registry.insert(key.clone());
        s.open_key = Some(key);
        Ok(Some(s))
    }

    fn open_or_create(path: &Path) -> Result<Store> {
        // Held until the file is registered, so two threads opening one
        // file cannot both miss the registry.
        let mut registry = open_files();
        if registry.contains(&canonical_db_path(path)) {
            return Err(Error::AlreadyOpen {
                path: path.to_path_buf(),
            });
        }
        let db = match redb::Database::create(path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(Error::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(redb::DatabaseError::Storage(redb::StorageError::Io(e)))
                if e.kind() == std::io::ErrorKind::InvalidData =>
            {
                // Kept as the source: redb's own account of what it found.
                return Err(Error::Storage {
                    message: format!("{} is not a valence database ({e})", path.display()),
                    hint: Some(
                        "give a new file name, or the .vdb file of an earlier session".into(),
                    ),
                    source: Some(Box::new(redb::DatabaseError::Storage(
                        redb::StorageError::Io(e),
                    ))),
                });
            }
            Err(redb::DatabaseError::Storage(redb::StorageError::Io(e))) => {
                return Err(match e.kind() {
                    std::io::ErrorKind::NotFound => Error::invalid_hint(
                        format!("cannot create {}: {e}", path.display()),
                        "the directory must exist",
                    ),
                    _ => Error::io(path, e),
                });
            }
            Err(e) => {
                return Err(Error::storage_context(
                    format!("cannot open {} as a valence database", path.display()),
                    e,
                ));
            }
        };
        // Register under the name the file has now that it exists.
        let key = canonical_db_path(path);
        registry.insert(key.clone());
        drop(registry);
        let s = Store {
            db: std::sync::RwLock::new(Handle::Rw(std::sync::Arc::new(db))),
            path: Some(path.to_path_buf()),
            open_key: Some(key),
        };
        if !s.is_initialised()? {
            s.init()?;
        }
        Ok(s)
    }

    /// A database that lives in memory and vanishes when dropped.
    pub fn in_memory() -> Result<Store> {
        let db = redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(st)?;
        let s = Store {
            db: std::sync::RwLock::new(Handle::Rw(std::sync::Arc::new(db))),
            path: None,
            open_key: None,
        };
        s.init()?;
        Ok(s)
    }

    fn init(&self) -> Result<()> {
        let txn = self.begin_write()?;
        {
            let mut meta = txn.open_table(META).map_err(st)?;
            let existing = meta
                .get("format_version")
                .map_err(st)?
                .map(|v| v.value().to_string());
            match existing {
                None => {
                    meta.insert("format_version", FORMAT_VERSION).map_err(st)?;
                }
                Some(v) if v == FORMAT_VERSION => {}
                Some(v) if MIGRATES_FROM.contains(&v.as_str()) => {
                    if v == "1" {
                        migrate_from_1(&txn)?;
                    }
                    meta.insert("format_version", FORMAT_VERSION).map_err(st)?;
                }
                Some(v) => return Err(unsupported(&v)),
            }
            txn.open_table(OBJECTS).map_err(st)?;
            txn.open_table(MANIFESTS).map_err(st)?;
            txn.open_table(COUNTERS).map_err(st)?;
            txn.open_table(JOURNAL).map_err(st)?;
            txn.open_table(OBJECT_SUMS).map_err(st)?;
            txn.open_table(JOURNAL_SUMS).map_err(st)?;
            txn.open_table(super::chunks::OBJECT_CHUNKS).map_err(st)?;
        }
        txn.commit().map_err(st)
    }
}

/// Removes temporary files of database creations whose process is gone
/// (killed while creating). Linux: a live process has `/proc/<pid>`.
fn remove_stale_creations(dir: &Path, prefix: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(prefix) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
