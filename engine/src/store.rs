//! The persistent store: one redb file (or an in-memory redb backend) holding
//! versioned catalogues, graphs and datasets, their manifests, and the LLM
//! reply journal. See ARCHITECTURE.md, "On-disk format".
//!
//! Invariants: versions are immutable and never reused (a per-name counter
//! survives DROP); every statement writes through one [`Store::write`] call,
//! i.e. one redb transaction, so an error leaves the store as it was.

use std::path::{Path, PathBuf};

use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[path = "store_check.rs"]
mod check;
pub use check::CheckEntry;
use check::migrate_from_1;
#[path = "store_evals.rs"]
mod evals;
#[path = "store_jobs.rs"]
mod jobs;
#[path = "store_open.rs"]
mod open;
use open::{Handle, is_not_writable, open_opt, unsupported};

type ObjKey<'a> = (&'a str, &'a str, u32);

const OBJECTS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("objects");
const MANIFESTS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("manifests");
const COUNTERS: TableDefinition<(&str, &str), u32> = TableDefinition::new("counters");
const JOURNAL: TableDefinition<&[u8], &[u8]> = TableDefinition::new("journal");
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
/// blake3 of an object's payload followed by blake3 of its manifest (64 bytes).
const OBJECT_SUMS: TableDefinition<ObjKey, &[u8]> = TableDefinition::new("object_checksums");
/// blake3 of a journal value (32 bytes), by journal key.
const JOURNAL_SUMS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("journal_checksums");

/// On-disk format version written to the `meta` table. Format 2 added the
/// checksum tables; a format-1 file is migrated when it is opened read-write
/// (read as is when opened read-only).
pub const FORMAT_VERSION: &str = "2";
/// Older formats this build reads (and migrates on open).
const MIGRATES_FROM: &str = "1";

fn sum(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

fn object_sums(payload: &[u8], manifest: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&sum(payload));
    out[32..].copy_from_slice(&sum(manifest));
    out
}

/// What a checksum comparison found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    Ok,
    /// No checksum stored (never happens after the format-1 migration).
    Unchecked,
    PayloadCorrupt,
    ManifestCorrupt,
}

fn verify_object(stored: Option<&[u8]>, payload: &[u8], manifest: &[u8]) -> Integrity {
    match stored {
        None => Integrity::Unchecked,
        Some(s) if s.len() != 64 => Integrity::PayloadCorrupt,
        Some(s) if s[..32] != sum(payload) => Integrity::PayloadCorrupt,
        Some(s) if s[32..] != sum(manifest) => Integrity::ManifestCorrupt,
        Some(_) => Integrity::Ok,
    }
}

fn corrupt(kind: Kind, name: &str, version: u32, what: Integrity) -> Error {
    let part = match what {
        Integrity::ManifestCorrupt => "manifest",
        _ => "payload",
    };
    Error::Corrupt {
        kind: kind.as_str(),
        name: name.to_string(),
        version,
        detail: format!("its {part} does not match the checksum stored with it"),
    }
}

/// The kinds of stored objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    Catalogue,
    Graph,
    Dataset,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Catalogue => "catalogue",
            Kind::Graph => "graph",
            Kind::Dataset => "dataset",
        }
    }
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Catalogue => "catalogues",
            Kind::Graph => "graphs",
            Kind::Dataset => "datasets",
        }
    }
}

/// A reference to a stored object: `name` (latest) or `name@version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjRef {
    pub name: String,
    pub version: Option<u32>,
}

impl ObjRef {
    pub fn latest(name: impl Into<String>) -> ObjRef {
        ObjRef {
            name: name.into(),
            version: None,
        }
    }
    pub fn at(name: impl Into<String>, version: u32) -> ObjRef {
        ObjRef {
            name: name.into(),
            version: Some(version),
        }
    }
}

impl std::fmt::Display for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

impl From<&str> for ObjRef {
    /// Parses `name` or `name@N` (an unparsable version is kept in the name,
    /// which then fails lookup with a clear error).
    fn from(s: &str) -> ObjRef {
        match s.rsplit_once('@') {
            Some((n, v)) if v.parse::<u32>().is_ok() => ObjRef::at(n, v.parse().unwrap_or(0)),
            _ => ObjRef::latest(s),
        }
    }
}

/// What made a version: the statement, when, a one-line summary and details
/// (options, counts, reports) as JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub statement: String,
    pub created: u64,
    pub summary: String,
    #[serde(default)]
    pub details: serde_json::Value,
    #[serde(default)]
    pub engine_version: String,
}

impl Manifest {
    pub fn new(
        statement: &str,
        summary: impl Into<String>,
        details: serde_json::Value,
    ) -> Manifest {
        Manifest {
            statement: statement.to_string(),
            created: crate::util::now_unix(),
            summary: summary.into(),
            details,
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// One stored version.
#[derive(Debug, Clone)]
pub struct Stored {
    pub version: u32,
    pub payload: Vec<u8>,
    pub manifest: Manifest,
}

/// One row of `SHOW ...`: the latest version of a name.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    pub name: String,
    pub latest: u32,
    pub versions: u32,
    pub manifest: Manifest,
}

/// The redb-backed store.
pub struct Store {
    db: Handle,
    path: Option<PathBuf>,
    /// The key of this file in [`OPEN_FILES`] (file stores only).
    open_key: Option<PathBuf>,
}

/// Storage errors keep the redb (or serde) error as their `source()`.
fn st(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::storage_source(e)
}

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

fn open_files() -> std::sync::MutexGuard<'static, std::collections::HashSet<PathBuf>> {
    OPEN_FILES.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(k) = &self.open_key {
            open_files().remove(k);
        }
    }
}

/// Writes within one transaction; see [`Store::write`].
pub struct Writer<'t> {
    txn: &'t redb::WriteTransaction,
}

impl Writer<'_> {
    /// Stores a new version of `name`; returns its number.
    pub fn put(
        &mut self,
        kind: Kind,
        name: &str,
        payload: &[u8],
        manifest: &Manifest,
    ) -> Result<u32> {
        let mut counters = self.txn.open_table(COUNTERS).map_err(st)?;
        let last = counters
            .get((kind.as_str(), name))
            .map_err(st)?
            .map(|v| v.value())
            .unwrap_or(0);
        let version = last + 1;
        counters
            .insert((kind.as_str(), name), version)
            .map_err(st)?;
        let mut objects = self.txn.open_table(OBJECTS).map_err(st)?;
        objects
            .insert((kind.as_str(), name, version), payload)
            .map_err(st)?;
        let mut manifests = self.txn.open_table(MANIFESTS).map_err(st)?;
        let m = serde_json::to_vec(manifest).map_err(st)?;
        manifests
            .insert((kind.as_str(), name, version), m.as_slice())
            .map_err(st)?;
        let mut sums = self.txn.open_table(OBJECT_SUMS).map_err(st)?;
        sums.insert(
            (kind.as_str(), name, version),
            object_sums(payload, &m).as_slice(),
        )
        .map_err(st)?;
        Ok(version)
    }

    /// Removes one version, or all versions of a name. Returns how many.
    pub fn drop(&mut self, kind: Kind, name: &str, version: Option<u32>) -> Result<u32> {
        let mut objects = self.txn.open_table(OBJECTS).map_err(st)?;
        let mut manifests = self.txn.open_table(MANIFESTS).map_err(st)?;
        let mut sums = self.txn.open_table(OBJECT_SUMS).map_err(st)?;
        let (lo, hi) = match version {
            Some(v) => (v, v),
            None => (0, u32::MAX),
        };
        let keys: Vec<u32> = objects
            .range((kind.as_str(), name, lo)..=(kind.as_str(), name, hi))
            .map_err(st)?
            .map(|r| r.map(|(k, _)| k.value().2))
            .collect::<std::result::Result<_, _>>()
            .map_err(st)?;
        for v in &keys {
            objects.remove((kind.as_str(), name, *v)).map_err(st)?;
            manifests.remove((kind.as_str(), name, *v)).map_err(st)?;
            sums.remove((kind.as_str(), name, *v)).map_err(st)?;
        }
        Ok(keys.len() as u32)
    }

    /// Records an LLM reply in the journal (inside this transaction).
    pub fn journal_put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut j = self.txn.open_table(JOURNAL).map_err(st)?;
        j.insert(key, value).map_err(st)?;
        let mut sums = self.txn.open_table(JOURNAL_SUMS).map_err(st)?;
        sums.insert(key, sum(value).as_slice()).map_err(st)?;
        Ok(())
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
            Store::open_or_create(path)
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
            db: Handle::Rw(db),
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
            db: Handle::Rw(db),
            path: None,
            open_key: None,
        };
        s.init()?;
        Ok(s)
    }

    /// The file path, or `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
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
                Some(v) if v == MIGRATES_FROM => {
                    migrate_from_1(&txn)?;
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
        }
        txn.commit().map_err(st)
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds.
    /// On a read-only store it is [`Error::ReadOnly`] and `f` does not run.
    pub fn write<T>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let txn = self.begin_write()?;
        let out = {
            let mut w = Writer { txn: &txn };
            f(&mut w)
        };
        match out {
            Ok(v) => {
                txn.commit().map_err(st)?;
                Ok(v)
            }
            Err(e) => {
                txn.abort().map_err(st)?;
                Err(e)
            }
        }
    }

    /// Stores one new version in its own transaction.
    pub fn put(&self, kind: Kind, name: &str, payload: &[u8], manifest: &Manifest) -> Result<u32> {
        self.write(|w| w.put(kind, name, payload, manifest))
    }

    /// All versions of a name, ascending.
    pub fn versions(&self, kind: Kind, name: &str) -> Result<Vec<(u32, Manifest)>> {
        let txn = self.db.begin_read().map_err(st)?;
        let t = txn.open_table(MANIFESTS).map_err(st)?;
        let sums = open_opt(&txn, OBJECT_SUMS)?;
        let mut out = Vec::new();
        for r in t
            .range((kind.as_str(), name, 0)..=(kind.as_str(), name, u32::MAX))
            .map_err(st)?
        {
            let (k, v) = r.map_err(st)?;
            let m = read_manifest(sums.as_ref(), kind, k.value(), v.value())?;
            out.push((k.value().2, m));
        }
        Ok(out)
    }

    /// The version numbers of a name, ascending (manifests not read, so a
    /// damaged manifest does not stop `DROP`).
    fn version_numbers(&self, kind: Kind, name: &str) -> Result<Vec<u32>> {
        let txn = self.db.begin_read().map_err(st)?;
        let t = txn.open_table(MANIFESTS).map_err(st)?;
        let mut out = Vec::new();
        for r in t
            .range((kind.as_str(), name, 0)..=(kind.as_str(), name, u32::MAX))
            .map_err(st)?
        {
            out.push(r.map_err(st)?.0.value().2);
        }
        Ok(out)
    }

    /// Resolves a reference to a concrete version, with helpful errors.
    pub fn resolve(&self, kind: Kind, r: &ObjRef) -> Result<u32> {
        let versions = self.version_numbers(kind, &r.name)?;
        let Some(&latest) = versions.last() else {
            let names: Vec<String> = self.list(kind)?.into_iter().map(|o| o.name).collect();
            let hint = if names.is_empty() {
                format!("there are no {} yet", kind.plural())
            } else {
                format!("existing {}: {}", kind.plural(), names.join(", "))
            };
            return Err(Error::NotFound {
                kind: kind.as_str(),
                name: r.name.clone(),
                hint: Some(hint),
            });
        };
        match r.version {
            None => Ok(latest),
            Some(v) if versions.contains(&v) => Ok(v),
            Some(v) => Err(Error::NotFound {
                kind: kind.as_str(),
                name: format!("{}@{v}", r.name),
                hint: Some(format!(
                    "versions of '{}': {}",
                    r.name,
                    versions
                        .iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }),
        }
    }

    /// Reads one version (the latest when `r.version` is `None`).
    pub fn get(&self, kind: Kind, r: &ObjRef) -> Result<Stored> {
        let version = self.resolve(kind, r)?;
        let txn = self.db.begin_read().map_err(st)?;
        let objects = txn.open_table(OBJECTS).map_err(st)?;
        let manifests = txn.open_table(MANIFESTS).map_err(st)?;
        let key = (kind.as_str(), r.name.as_str(), version);
        let payload = objects
            .get(key)
            .map_err(st)?
            .map(|v| v.value().to_vec())
            .ok_or_else(|| {
                Error::storage(format!(
                    "{} {}@{version} has no payload",
                    kind.as_str(),
                    r.name
                ))
            })?;
        let manifest_bytes = manifests
            .get(key)
            .map_err(st)?
            .map(|v| v.value().to_vec())
            .unwrap_or_default();
        let stored = match open_opt(&txn, OBJECT_SUMS)? {
            Some(sums) => sums.get(key).map_err(st)?.map(|v| v.value().to_vec()),
            None => None,
        };
        match verify_object(stored.as_deref(), &payload, &manifest_bytes) {
            Integrity::Ok | Integrity::Unchecked => {}
            bad => return Err(corrupt(kind, &r.name, version, bad)),
        }
        let manifest = if manifest_bytes.is_empty() {
            Manifest::default()
        } else {
            serde_json::from_slice(&manifest_bytes).map_err(|e| Error::Corrupt {
                kind: kind.as_str(),
                name: r.name.clone(),
                version,
                detail: format!("its manifest is not readable ({e})"),
            })?
        };
        Ok(Stored {
            version,
            payload,
            manifest,
        })
    }

    /// Every name of a kind with its latest version, sorted by name.
    pub fn list(&self, kind: Kind) -> Result<Vec<ObjectInfo>> {
        let txn = self.db.begin_read().map_err(st)?;
        let t = txn.open_table(MANIFESTS).map_err(st)?;
        let sums = open_opt(&txn, OBJECT_SUMS)?;
        let mut out: Vec<ObjectInfo> = Vec::new();
        for r in t
            .range((kind.as_str(), "", 0)..(kind.as_str(), "\u{10FFFF}", u32::MAX))
            .map_err(st)?
        {
            let (k, v) = r.map_err(st)?;
            let (_, name, version) = k.value();
            let m = read_manifest(sums.as_ref(), kind, k.value(), v.value())?;
            match out.last_mut() {
                Some(last) if last.name == name => {
                    last.latest = version;
                    last.versions += 1;
                    last.manifest = m;
                }
                _ => out.push(ObjectInfo {
                    name: name.to_string(),
                    latest: version,
                    versions: 1,
                    manifest: m,
                }),
            }
        }
        Ok(out)
    }

    /// Looks up a journaled LLM reply. An entry that fails its checksum is
    /// treated as absent: the call is made again and its new reply replaces
    /// the damaged one (CHECK DATABASE reports it meanwhile).
    pub fn journal_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read().map_err(st)?;
        let t = txn.open_table(JOURNAL).map_err(st)?;
        let Some(value) = t.get(key).map_err(st)?.map(|v| v.value().to_vec()) else {
            return Ok(None);
        };
        let Some(sums) = open_opt(&txn, JOURNAL_SUMS)? else {
            return Ok(Some(value));
        };
        match sums.get(key).map_err(st)? {
            Some(s) if s.value() != sum(&value).as_slice() => Ok(None),
            _ => Ok(Some(value)),
        }
    }

    /// Commits one journal entry in its own transaction (durable before use).
    pub fn journal_put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(|w| w.journal_put(key, value))
    }

    /// Number of journal entries.
    pub fn journal_len(&self) -> Result<u64> {
        let txn = self.db.begin_read().map_err(st)?;
        let t = txn.open_table(JOURNAL).map_err(st)?;
        t.len().map_err(st)
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

/// Parses a manifest after checking it against its stored checksum.
fn read_manifest(
    sums: Option<&redb::ReadOnlyTable<ObjKey<'static>, &'static [u8]>>,
    kind: Kind,
    key: ObjKey<'_>,
    bytes: &[u8],
) -> Result<Manifest> {
    let (_, name, version) = key;
    let bad = |detail: String| Error::Corrupt {
        kind: kind.as_str(),
        name: name.to_string(),
        version,
        detail,
    };
    if let Some(sums) = sums
        && let Some(s) = sums.get(key).map_err(st)?
        && (s.value().len() != 64 || s.value()[32..] != sum(bytes))
    {
        return Err(bad(
            "its manifest does not match the checksum stored with it".into(),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| bad(format!("its manifest is not readable ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_immutable_and_never_reused() {
        let s = Store::in_memory().unwrap();
        let m = Manifest::new("x", "s", serde_json::Value::Null);
        assert_eq!(s.put(Kind::Graph, "g", b"one", &m).unwrap(), 1);
        assert_eq!(s.put(Kind::Graph, "g", b"two", &m).unwrap(), 2);
        assert_eq!(
            s.get(Kind::Graph, &ObjRef::at("g", 1)).unwrap().payload,
            b"one"
        );
        assert_eq!(
            s.get(Kind::Graph, &ObjRef::latest("g")).unwrap().payload,
            b"two"
        );
        s.write(|w| w.drop(Kind::Graph, "g", None)).unwrap();
        assert!(s.get(Kind::Graph, &ObjRef::latest("g")).is_err());
        assert_eq!(s.put(Kind::Graph, "g", b"three", &m).unwrap(), 3);
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let s = Store::in_memory().unwrap();
        let m = Manifest::default();
        let r: Result<()> = s.write(|w| {
            w.put(Kind::Graph, "g", b"x", &m)?;
            Err(Error::invalid("boom"))
        });
        assert!(r.is_err());
        assert!(s.list(Kind::Graph).unwrap().is_empty());
        assert_eq!(s.put(Kind::Graph, "g", b"x", &m).unwrap(), 1);
    }

    #[test]
    fn list_groups_names() {
        let s = Store::in_memory().unwrap();
        let m = Manifest::default();
        s.put(Kind::Graph, "b", b"x", &m).unwrap();
        s.put(Kind::Graph, "a", b"x", &m).unwrap();
        s.put(Kind::Graph, "a", b"x", &m).unwrap();
        s.put(Kind::Dataset, "a", b"x", &m).unwrap();
        let l = s.list(Kind::Graph).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(
            (l[0].name.as_str(), l[0].latest, l[0].versions),
            ("a", 2, 2)
        );
        assert_eq!((l[1].name.as_str(), l[1].latest), ("b", 1));
    }
}
