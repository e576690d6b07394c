//! Catalogues: the versioned list of attribute values per modality.
//!
//! CSV format (dsl.md): header `modality,value` and an optional `description`
//! column. A value is unique within its modality; the same text may appear in
//! two modalities (they are different nodes).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[path = "csv_file.rs"]
mod csv_file;

pub(crate) use csv_file::CsvFile;

/// One attribute value of a modality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// Index into [`Catalogue::modalities`].
    pub modality: u16,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A set of attribute values grouped by modality, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    modalities: Vec<String>,
    attributes: Vec<Attribute>,
}

/// Finds the index of a named column in a CSV header (case-insensitive, trimmed).
pub(crate) fn column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers.iter().position(|h| {
        h.trim()
            .trim_start_matches('\u{feff}')
            .eq_ignore_ascii_case(name)
    })
}

/// A blank line (no field, or one field of spaces): skipped. A row of
/// several empty fields (`,,,`) is not blank: it is an error.
pub(crate) fn is_blank_line(rec: &csv::StringRecord) -> bool {
    rec.len() <= 1 && rec.iter().all(|f| f.trim().is_empty())
}

impl Catalogue {
    /// Builds a catalogue from (modality, value, description) triples, checking uniqueness.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
    ) -> Result<Catalogue> {
        let mut b = CatalogueBuilder::default();
        for (i, (m, v, d)) in rows.into_iter().enumerate() {
            b.push(m, v, d, i as u64 + 1).map_err(|(msg, hint)| {
                Error::invalid_hint(format!("attribute {}: {msg}", i + 1), hint)
            })?;
        }
        b.finish()
            .ok_or_else(|| Error::invalid("a catalogue needs at least one attribute"))
    }

    /// Reads a catalogue CSV. Errors name the file and line.
    pub fn from_csv(path: &Path) -> Result<Catalogue> {
        Self::from_csv_with(path, &crate::Ctx::default())
    }

    /// [`Catalogue::from_csv`], stopping with `Error::Cancelled` once `ctx`
    /// is cancelled (Ctrl-C during LOAD CATALOGUE).
    pub fn from_csv_with(path: &Path, ctx: &crate::Ctx) -> Result<Catalogue> {
        let mut file = CsvFile::open(path)?;
        let headers = file.headers();
        let (Some(mi), Some(vi)) = (column(headers, "modality"), column(headers, "value")) else {
            return Err(Error::input(
                path,
                1,
                format!(
                    "missing column: the header must name `modality` and `value` (found: {})",
                    crate::limits::excerpt(&headers.iter().collect::<Vec<_>>().join(","))
                ),
            )
            .with_hint("a catalogue CSV starts with the header `modality,value[,description]`"));
        };
        let di = column(headers, "description");
        let mut b = CatalogueBuilder::default();
        while let Some((rec, line)) = file.next_record()? {
            ctx.check()?;
            if is_blank_line(rec) {
                continue;
            }
            if rec.iter().all(|f| f.trim().is_empty()) {
                return Err(Error::input(path, line, "a row of empty fields")
                    .with_hint("every row needs a modality and a value; delete this row"));
            }
            let m = rec.get(mi).unwrap_or("");
            let v = rec.get(vi).unwrap_or("");
            let d = di.and_then(|i| rec.get(i));
            b.reserve()
                .map_err(|bytes| out_of_memory(path, line, bytes, b.cat.attributes.len()))?;
            b.push(m, v, d, line).map_err(|(msg, hint)| Error::Input {
                loc: crate::FileLoc {
                    path: path.to_path_buf(),
                    line,
                },
                message: msg,
                hint: Some(hint),
            })?;
        }
        b.finish().ok_or_else(|| {
            Error::input(path, 0, "the catalogue has no attributes")
                .with_hint("add rows `modality,value` below the header")
        })
    }

    pub fn modalities(&self) -> &[String] {
        &self.modalities
    }

    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// Index of a modality by name.
    pub fn modality_index(&self, name: &str) -> Option<u16> {
        self.modalities
            .iter()
            .position(|m| m == name)
            .map(|i| i as u16)
    }

    /// The attributes of one modality, with their index in [`Self::attributes`].
    pub fn of_modality(&self, m: u16) -> impl Iterator<Item = (usize, &Attribute)> {
        self.attributes
            .iter()
            .enumerate()
            .filter(move |(_, a)| a.modality == m)
    }

    /// Number of attributes per modality, in modality order.
    pub fn counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.modalities.len()];
        for a in &self.attributes {
            c[a.modality as usize] += 1;
        }
        c
    }

    /// Looks an attribute up by modality and value.
    pub fn find(&self, modality: &str, value: &str) -> Option<usize> {
        let m = self.modality_index(modality)?;
        self.attributes
            .iter()
            .position(|a| a.modality == m && a.value == value)
    }

    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(Error::storage_source)
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Result<Catalogue> {
        serde_json::from_slice(b).map_err(Error::storage_source)
    }
}

/// Most modalities a catalogue or graph can have (modality indices are u16).
pub(crate) const MAX_MODALITIES: usize = u16::MAX as usize;

/// The error (message, hint) for modality number 65,536.
pub(crate) fn too_many_modalities(modality: &str) -> (String, String) {
    (
        format!(
            "too many modalities: {} would be modality number {}; at most {MAX_MODALITIES} are allowed",
            crate::limits::quote(modality),
            MAX_MODALITIES + 1
        ),
        "modalities are attribute kinds (brand, audience, ...): check the modality column".into(),
    )
}

/// A `too_large` error: a catalogue that could not get memory at `line`.
fn out_of_memory(path: &Path, line: u64, bytes: usize, read: usize) -> Error {
    let loc = crate::FileLoc {
        path: path.to_path_buf(),
        line,
    };
    Error::rejected(
        crate::Code::TooLarge,
        crate::Subject::File(loc.clone()),
        format!(
            "{loc}: not enough memory to load the catalogue: {} more was needed after {read} attributes",
            crate::limits::human_bytes(bytes)
        ),
        "free memory or raise the process's memory limit (`ulimit -v`)",
    )
}

#[derive(Default)]
struct CatalogueBuilder {
    cat: Catalogue,
    seen: HashMap<(u16, String), u64>,
}

impl CatalogueBuilder {
    /// Room for one more attribute, grown without aborting when memory is
    /// short (`Err`: the bytes that could not be had).
    fn reserve(&mut self) -> std::result::Result<(), usize> {
        let attrs = &mut self.cat.attributes;
        if attrs.len() == attrs.capacity() {
            let more = attrs.len().max(1024);
            attrs
                .try_reserve(more)
                .map_err(|_| more * std::mem::size_of::<Attribute>())?;
        }
        if self.seen.len() == self.seen.capacity() {
            let more = self.seen.len().max(1024);
            self.seen
                .try_reserve(more)
                .map_err(|_| more * std::mem::size_of::<((u16, String), u64)>())?;
        }
        Ok(())
    }

    fn push(
        &mut self,
        modality: &str,
        value: &str,
        description: Option<&str>,
        line: u64,
    ) -> std::result::Result<(), (String, String)> {
        let (modality, value) = (modality.trim(), value.trim());
        if modality.is_empty() {
            return Err((
                "empty modality".into(),
                "every row needs a modality name, e.g. `brand`".into(),
            ));
        }
        if value.is_empty() {
            return Err((
                format!(
                    "empty value for modality {}",
                    crate::limits::quote(modality)
                ),
                "every row needs a non-empty value".into(),
            ));
        }
        crate::limits::check_value_len("modality", modality)?;
        crate::limits::check_value_len("value", value)?;
        crate::limits::check_control_chars("modality", modality)?;
        crate::limits::check_control_chars("value", value)?;
        if let Some(d) = description {
            crate::limits::check_value_len("description", d)?;
        }
        let m = match self.cat.modalities.iter().position(|x| x == modality) {
            Some(i) => i as u16,
            None => {
                if self.cat.modalities.len() >= MAX_MODALITIES {
                    return Err(too_many_modalities(modality));
                }
                let subject = || format!("modality {}", crate::limits::quote(modality));
                if let Some(e) = crate::export::reserved_modality(modality, subject) {
                    return Err(e);
                }
                self.cat.modalities.push(modality.to_string());
                (self.cat.modalities.len() - 1) as u16
            }
        };
        if let Some(first) = self.seen.insert((m, value.to_string()), line) {
            return Err((
                format!(
                    "duplicate value {} in modality {} (first at line {first})",
                    crate::limits::quote(value),
                    crate::limits::quote(modality)
                ),
                "a value is unique within its modality; remove one of the rows".into(),
            ));
        }
        let description = description
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        self.cat.attributes.push(Attribute {
            modality: m,
            value: value.to_string(),
            description,
        });
        Ok(())
    }

    fn finish(self) -> Option<Catalogue> {
        (!self.cat.attributes.is_empty()).then_some(self.cat)
    }
}
