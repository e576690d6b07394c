//! Checksums (format 2): blake3 of every payload, manifest and journal
//! reply, written with them and verified on read; a mismatch is
//! [`Error::Corrupt`] naming the object.

use super::{Kind, Manifest, ObjKey, st};
use crate::Error;
use crate::Result;

pub(super) fn sum(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

pub(super) fn object_sums(payload: &[u8], manifest: &[u8]) -> [u8; 64] {
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

pub(super) fn verify_object(stored: Option<&[u8]>, payload: &[u8], manifest: &[u8]) -> Integrity {
    match stored {
        None => Integrity::Unchecked,
        Some(s) if s.len() != 64 => Integrity::PayloadCorrupt,
        Some(s) if s[..32] != sum(payload) => Integrity::PayloadCorrupt,
        Some(s) if s[32..] != sum(manifest) => Integrity::ManifestCorrupt,
        Some(_) => Integrity::Ok,
    }
}

pub(super) fn corrupt(kind: Kind, name: &str, version: u32, what: Integrity) -> Error {
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

/// Parses a manifest after checking it against its stored checksum.
pub(super) fn read_manifest(
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
