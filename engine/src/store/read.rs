//! Reading the store: versions, references resolved to versions, objects
//! (checksums verified), listings, and the LLM reply journal.

use redb::ReadableTableMetadata;

use super::checksum::{Integrity, corrupt, read_manifest, verify_object};
use super::open::open_opt;
use super::{
    JOURNAL, JOURNAL_SUMS, Kind, MANIFESTS, Manifest, OBJECT_SUMS, OBJECTS, ObjRef, ObjectInfo,
    Store, Stored, st, sum,
};
use crate::{Error, Result};

impl Store {
    /// All versions of a name, ascending.
    pub fn versions(&self, kind: Kind, name: &str) -> Result<Vec<(u32, Manifest)>> {
        let txn = self.read_txn()?;
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
        let txn = self.read_txn()?;
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
        let txn = self.read_txn()?;
        let objects = txn.open_table(OBJECTS).map_err(st)?;
        let manifests = txn.open_table(MANIFESTS).map_err(st)?;
        let key = (kind.as_str(), r.name.as_str(), version);
        let inline = objects
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
        let payload =
            super::chunks::payload(&inline, super::chunks::chunks_table(&txn)?.as_ref(), key)?;
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
        let txn = self.read_txn()?;
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
        let txn = self.read_txn()?;
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

    /// Number of journal entries.
    pub fn journal_len(&self) -> Result<u64> {
        let txn = self.read_txn()?;
        let t = txn.open_table(JOURNAL).map_err(st)?;
        t.len().map_err(st)
    }
}
