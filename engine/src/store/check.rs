//! Integrity of the store: `Store::check` (CHECK DATABASE's storage side)
//! and the format 1 → 2 migration that adds checksums. A child module of
//! `store`, so it reads the tables directly.

use redb::ReadableTable;

use super::checksum::{Integrity, object_sums, sum, verify_object};
use super::{JOURNAL, JOURNAL_SUMS, Kind, MANIFESTS, OBJECT_SUMS, OBJECTS, Store, st};
use crate::Result;

/// Format 1 → 2: checksums for everything already stored (inside the
/// opening transaction, so a failed migration leaves the file as it was).
pub(super) fn migrate_from_1(txn: &redb::WriteTransaction) -> Result<()> {
    let objects = txn.open_table(OBJECTS).map_err(st)?;
    let manifests = txn.open_table(MANIFESTS).map_err(st)?;
    let mut sums = txn.open_table(OBJECT_SUMS).map_err(st)?;
    for r in objects.iter().map_err(st)? {
        let (k, v) = r.map_err(st)?;
        let key = k.value();
        let m = manifests
            .get(key)
            .map_err(st)?
            .map(|m| m.value().to_vec())
            .unwrap_or_default();
        sums.insert(key, object_sums(v.value(), &m).as_slice())
            .map_err(st)?;
    }
    let journal = txn.open_table(JOURNAL).map_err(st)?;
    let mut jsums = txn.open_table(JOURNAL_SUMS).map_err(st)?;
    for r in journal.iter().map_err(st)? {
        let (k, v) = r.map_err(st)?;
        jsums
            .insert(k.value(), sum(v.value()).as_slice())
            .map_err(st)?;
    }
    Ok(())
}

/// One line of `CHECK DATABASE`: an object version, or the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckEntry {
    /// `catalogue`, `graph`, `dataset`, `journal`, or `file` (the last
    /// line of a file database: its size against the bytes it stores).
    pub kind: &'static str,
    pub name: String,
    pub version: Option<u32>,
    pub status: Integrity,
    pub detail: String,
}

impl Store {
    /// Verifies every stored checksum: one entry per object version, one per
    /// damaged journal entry, and one for the journal as a whole.
    pub fn check(&self) -> Result<Vec<CheckEntry>> {
        let txn = self.read_txn()?;
        let objects = txn.open_table(OBJECTS).map_err(st)?;
        let manifests = txn.open_table(MANIFESTS).map_err(st)?;
        // A format-1 file opened read-only has no checksum tables: its
        // objects and journal are reported unchecked.
        let sums = super::open::open_opt(&txn, OBJECT_SUMS)?;
        let chunks = super::chunks::chunks_table(&txn)?;
        let mut out = Vec::new();
        for r in objects.iter().map_err(st)? {
            let (k, v) = r.map_err(st)?;
            let (kind, name, version) = k.value();
            let kind = [Kind::Catalogue, Kind::Graph, Kind::Dataset]
                .into_iter()
                .find(|x| x.as_str() == kind)
                .map(Kind::as_str)
                .unwrap_or("unknown");
            let m = manifests.get(k.value()).map_err(st)?;
            let m = m.as_ref().map(|m| m.value()).unwrap_or(&[]);
            let s = match &sums {
                Some(t) => t.get(k.value()).map_err(st)?,
                None => None,
            };
            let payload = super::chunks::payload(v.value(), chunks.as_ref(), k.value())?;
            let status = verify_object(s.as_ref().map(|s| s.value()), &payload, m);
            let detail = match status {
                Integrity::Ok => String::new(),
                Integrity::Unchecked => "no checksum stored".into(),
                Integrity::PayloadCorrupt => "payload does not match its checksum".into(),
                Integrity::ManifestCorrupt => "manifest does not match its checksum".into(),
            };
            out.push(CheckEntry {
                kind,
                name: name.to_string(),
                version: Some(version),
                status,
                detail,
            });
        }
        let journal = txn.open_table(JOURNAL).map_err(st)?;
        let jsums = super::open::open_opt(&txn, JOURNAL_SUMS)?;
        let (mut n, mut bad, mut unchecked) = (0u64, 0u64, 0u64);
        for r in journal.iter().map_err(st)? {
            let (k, v) = r.map_err(st)?;
            n += 1;
            let s = match &jsums {
                Some(t) => t.get(k.value()).map_err(st)?,
                None => None,
            };
            match s {
                None => unchecked += 1,
                Some(s) if s.value() == sum(v.value()).as_slice() => {}
                Some(_) => {
                    bad += 1;
                    out.push(CheckEntry {
                        kind: "journal",
                        name: hex(&k.value()[..k.value().len().min(8)]),
                        version: None,
                        status: Integrity::PayloadCorrupt,
                        detail: "reply does not match its checksum (it will be requested again)"
                            .into(),
                    });
                }
            }
        }
        out.push(CheckEntry {
            kind: "journal",
            name: String::new(),
            version: None,
            status: match (bad, unchecked) {
                (0, 0) => Integrity::Ok,
                (0, _) => Integrity::Unchecked,
                _ => Integrity::PayloadCorrupt,
            },
            detail: format!("{n} entries, {bad} damaged, {unchecked} without checksum"),
        });
        if let Some(path) = &self.path {
            let s = self.stats_in(&txn)?;
            let h = |b: u64| crate::limits::human_bytes(b as usize);
            out.push(CheckEntry {
                kind: "file",
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                version: None,
                status: Integrity::Ok,
                detail: format!(
                    "{} bytes ({}) holding {} bytes ({}) of keys and values: {:.2}x",
                    s.file_bytes,
                    h(s.file_bytes),
                    s.payload_bytes,
                    h(s.payload_bytes),
                    s.ratio()
                ),
            });
        }
        Ok(out)
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
