//! The store's redb handle, read-write or read-only, and what opening a file
//! read-only means: no write transaction ever (a format-1 file is read
//! without migrating), every write path a typed [`Error::ReadOnly`]. A child
//! module of `store`, so it reads the tables directly.
//!
//! An existing, current-format file opened read-write starts **lazy**: it is
//! held by a `redb::ReadOnlyDatabase` (which never writes, not even on open
//! or close) and reopened read-write by its first write transaction
//! ([`Store::begin_write`]). A session that only reads leaves the file's
//! bytes and modification time as they were and never fsyncs. The reopen
//! happens under the store's handle lock, once no read transaction of this
//! store is live (each read holds the lock for its transaction: `ReadTxn`).

use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

use redb::{ReadableDatabase, TableDefinition, TableError, TableHandle};

use super::create::{canonical_db_path, open_files};
use super::{
    COUNTERS, FORMAT_VERSION, JOURNAL, JOURNAL_SUMS, MANIFESTS, META, MIGRATES_FROM, OBJECT_SUMS,
    OBJECTS, Store, st,
};
use crate::{Error, Result};

/// The redb handle of a store.
pub(super) enum Handle {
    /// Shared so that `begin_write` can wait for redb's write lock without
    /// holding the handle lock (a reader must never wait behind it).
    Rw(std::sync::Arc<redb::Database>),
    /// `forced`: opened read-only because the file or its mount is not
    /// writable, not because the caller asked.
    Ro {
        db: redb::ReadOnlyDatabase,
        forced: bool,
    },
    /// Opened for writing, held read-only until the first write.
    Lazy(redb::ReadOnlyDatabase),
    /// Only after a reopen for writing failed and the file could not be
    /// opened again read-only either (it was removed meanwhile...).
    Closed,
}

impl Handle {
    /// A read transaction on any open handle.
    fn begin_read(&self, path: Option<&Path>) -> Result<redb::ReadTransaction> {
        match self {
            Handle::Rw(db) => db.begin_read().map_err(st),
            Handle::Ro { db, .. } | Handle::Lazy(db) => db.begin_read().map_err(st),
            Handle::Closed => Err(closed(path)),
        }
    }
}

fn closed(path: Option<&Path>) -> Error {
    Error::Storage {
        message: format!(
            "{} could not be reopened for writing and is no longer open",
            crate::limits::path(path.unwrap_or(Path::new("")))
        ),
        hint: Some("open the database again".into()),
        source: None,
    }
}

/// A read transaction that holds the store's handle lock, so the handle is
/// not swapped (reopened for writing) under it.
pub(super) struct ReadTxn<'a> {
    txn: redb::ReadTransaction,
    _handle: RwLockReadGuard<'a, Handle>,
}

impl std::ops::Deref for ReadTxn<'_> {
    type Target = redb::ReadTransaction;
    fn deref(&self) -> &redb::ReadTransaction {
        &self.txn
    }
}

/// Whether an I/O error says the file cannot be opened for writing
/// (EACCES, EPERM, EROFS), so a read-only open may still work.
pub(super) fn is_not_writable(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    )
}

/// Opens an optional table in a read transaction: `None` when the file has
/// no such table yet (the checksum tables of a format-1 file opened
/// read-only).
pub(super) fn open_opt<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(st(e)),
    }
}

impl Store {
    /// Opens an existing database file read-only: it is never written (no
    /// write transaction, no migration, no fsync); every write is an
    /// [`Error::ReadOnly`]. Other processes may read it at the same time.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        Store::open_ro(path, false)
    }

    /// `forced`: the caller asked for read-write but the file is not writable.
    pub(super) fn open_ro(path: &Path, forced: bool) -> Result<Store> {
        let mut registry = open_files();
        let key = canonical_db_path(path);
        if registry.contains(&key) {
            return Err(Error::AlreadyOpen {
                path: path.to_path_buf(),
            });
        }
        let db = redb::ReadOnlyDatabase::open(path).map_err(|e| ro_open_error(path, e))?;
        registry.insert(key.clone());
        drop(registry);
        let s = Store {
            db: RwLock::new(Handle::Ro { db, forced }),
            path: Some(path.to_path_buf()),
            open_key: Some(key),
        };
        s.check_format()?;
        Ok(s)
    }

    /// The handle, for a moment (poisoning is ignored: the handle itself is
    /// never left half-changed).
    pub(super) fn handle(&self) -> RwLockReadGuard<'_, Handle> {
        self.db.read().unwrap_or_else(|p| p.into_inner())
    }

    /// A read transaction; see [`ReadTxn`].
    pub(super) fn read_txn(&self) -> Result<ReadTxn<'_>> {
        let handle = self.handle();
        let txn = handle.begin_read(self.path.as_deref())?;
        Ok(ReadTxn {
            txn,
            _handle: handle,
        })
    }

    /// Whether this store refuses writes.
    pub fn is_read_only(&self) -> bool {
        matches!(*self.handle(), Handle::Ro { .. })
    }

    /// Whether it is read-only because the file or its mount is (not
    /// because the caller asked).
    pub fn is_forced_read_only(&self) -> bool {
        matches!(*self.handle(), Handle::Ro { forced: true, .. })
    }

    /// Whether the file is still held read-only, waiting for its first
    /// write (nothing was written to it by this store so far).
    pub fn is_unwritten(&self) -> bool {
        matches!(*self.handle(), Handle::Lazy(_))
    }

    /// A write transaction, or the typed error on a read-only store. A lazy
    /// handle is reopened read-write first.
    pub(super) fn begin_write(&self) -> Result<redb::WriteTransaction> {
        self.reopen_for_writing()?;
        let db = match &*self.handle() {
            Handle::Rw(db) => db.clone(),
            Handle::Ro { forced, .. } => {
                return Err(Error::ReadOnly {
                    path: self.path.clone().unwrap_or_default(),
                    forced: *forced,
                });
            }
            Handle::Lazy(_) | Handle::Closed => return Err(closed(self.path.as_deref())),
        };
        // Blocks while another thread's write transaction is live: without
        // the handle lock, so that thread's reads go on.
        db.begin_write().map_err(st)
    }

    /// Swaps a lazy read-only handle for a read-write one. redb locks a file
    /// per handle, so the read-only one is closed first; when the reopen
    /// fails (another process opened the file meanwhile: [`Error::Locked`])
    /// the file is held read-only again and the store stays usable.
    fn reopen_for_writing(&self) -> Result<()> {
        if !matches!(*self.handle(), Handle::Lazy(_)) {
            return Ok(());
        }
        // Waits for the read transactions of this store to end.
        let mut handle = self.db.write().unwrap_or_else(|p| p.into_inner());
        if !matches!(*handle, Handle::Lazy(_)) {
            return Ok(());
        }
        let Some(path) = self.path.clone() else {
            return Err(closed(None));
        };
        *handle = Handle::Closed;
        match redb::Database::open(&path) {
            Ok(db) => {
                *handle = Handle::Rw(std::sync::Arc::new(db));
                Ok(())
            }
            Err(e) => {
                if let Ok(db) = redb::ReadOnlyDatabase::open(&path) {
                    *handle = Handle::Lazy(db);
                }
                Err(reopen_error(&path, e))
            }
        }
    }

    /// The stored format version (`None`: no `meta` table or no version).
    fn stored_format(txn: &redb::ReadTransaction) -> Result<Option<String>> {
        let Some(meta) = open_opt(txn, META)? else {
            return Ok(None);
        };
        Ok(meta
            .get("format_version")
            .map_err(st)?
            .map(|v| v.value().to_string()))
    }

    /// Read-only open: the format must be one this build reads (format 1
    /// is read as is; its objects have no checksums and count as unchecked).
    fn check_format(&self) -> Result<()> {
        let txn = self.read_txn()?;
        match Store::stored_format(&txn)? {
            Some(v) if v == FORMAT_VERSION || MIGRATES_FROM.contains(&v.as_str()) => Ok(()),
            Some(v) => Err(unsupported(&v)),
            None => Err(Error::Storage {
                message: format!(
                    "{} is not a valence database (it has no format version)",
                    crate::limits::path(self.path.as_deref().unwrap_or(Path::new("")))
                ),
                hint: Some("open the .vdb file of an earlier session".into()),
                source: None,
            }),
        }
    }

    /// Whether a read-write open can skip its write transaction: the file
    /// is at the current format and has every table (so reads never fsync).
    pub(super) fn is_initialised(&self) -> Result<bool> {
        let txn = self.read_txn()?;
        if Store::stored_format(&txn)?.as_deref() != Some(FORMAT_VERSION) {
            return Ok(false);
        }
        let have: Vec<String> = txn
            .list_tables()
            .map_err(st)?
            .map(|t| t.name().to_string())
            .collect();
        let need = [
            OBJECTS.name(),
            MANIFESTS.name(),
            COUNTERS.name(),
            JOURNAL.name(),
            OBJECT_SUMS.name(),
            JOURNAL_SUMS.name(),
            super::chunks::chunks_table_name(),
        ];
        Ok(need.iter().all(|n| have.iter().any(|h| h == n)))
    }
}

pub(super) fn unsupported(v: &str) -> Error {
    Error::storage(format!(
        "database format {} is not supported by this build (reads formats \
         {} and {FORMAT_VERSION})",
        crate::limits::excerpt(v),
        MIGRATES_FROM.join(", ")
    ))
}

/// Why a lazy handle could not be reopened for writing.
fn reopen_error(path: &Path, e: redb::DatabaseError) -> Error {
    use redb::{DatabaseError as D, StorageError as S};
    match e {
        D::DatabaseAlreadyOpen => Error::Locked {
            path: path.to_path_buf(),
        },
        D::Storage(S::Io(io)) if is_not_writable(&io) => Error::ReadOnly {
            path: path.to_path_buf(),
            forced: true,
        },
        D::Storage(S::Io(io)) => Error::io(path, io),
        e => Error::storage_context(
            format!("cannot reopen {} for writing", crate::limits::path(path)),
            e,
        ),
    }
}

/// One clear error for each way a read-only open fails.
fn ro_open_error(path: &Path, e: redb::DatabaseError) -> Error {
    use redb::{DatabaseError as D, StorageError as S};
    let p = crate::limits::path(path);
    match e {
        D::DatabaseAlreadyOpen => Error::Locked {
            path: path.to_path_buf(),
        },
        D::RepairAborted => Error::Storage {
            message: format!("{p} was not closed cleanly and cannot be repaired read-only"),
            hint: Some(
                "open it once read-write (without -readonly, on a writable location) to repair it"
                    .into(),
            ),
            source: Some(Box::new(e)),
        },
        D::Storage(S::Io(io)) if io.kind() == std::io::ErrorKind::NotFound => Error::invalid_hint(
            format!("cannot open {p} read-only: no such file"),
            "a read-only open needs an existing database; open it read-write to create one",
        ),
        D::Storage(S::Io(io)) if io.kind() == std::io::ErrorKind::InvalidData => Error::Storage {
            message: format!("{p} is not a valence database ({io})"),
            hint: Some("give the .vdb file of an earlier session".into()),
            source: Some(Box::new(D::Storage(S::Io(io)))),
        },
        D::Storage(S::Io(io)) => Error::io(path, io),
        e => Error::storage_context(format!("cannot open {p} read-only"), e),
    }
}
