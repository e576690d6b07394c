//! Catalogues: LOAD CATALOGUE, reading a version, DESCRIBE CATALOGUE.

use std::path::Path;

use serde_json::json;

use super::{Engine, Written, check_name};
use crate::store::{Kind, Manifest, ObjRef};
use crate::{Catalogue, Ctx, Result};

/// What `DESCRIBE CATALOGUE` shows: per modality, its attribute count and
/// first values, and the version's manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueDescription {
    pub version: u32,
    pub modalities: Vec<ModalitySummary>,
    pub manifest: Manifest,
}

/// One modality of a catalogue: its name, how many attributes it has and
/// the first few of their values (in catalogue order).
#[derive(Debug, Clone, PartialEq)]
pub struct ModalitySummary {
    pub name: String,
    pub attributes: usize,
    pub examples: Vec<String>,
}

/// How many example values a [`ModalitySummary`] keeps.
pub const EXAMPLES: usize = 3;

impl Engine {
    /// `LOAD CATALOGUE name FROM 'path'`.
    pub fn load_catalogue(&self, name: &str, path: &Path, statement: &str) -> Result<Written> {
        self.load_catalogue_with(name, path, statement, &Ctx::default())
    }

    /// [`Engine::load_catalogue`] that Ctrl-C (`ctx`) can cancel; nothing is stored then.
    pub fn load_catalogue_with(
        &self,
        name: &str,
        path: &Path,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<Written> {
        check_name(name)?;
        let cat = Catalogue::from_csv_with(path, ctx)?;
        ctx.check()?;
        let counts = cat.counts();
        let summary = format!(
            "{} attributes in {} modalities",
            cat.attributes().len(),
            cat.modalities().len()
        );
        let details = json!({
            "source": path.display().to_string(),
            "attributes": cat.attributes().len(),
            "modalities": cat.modalities().iter().zip(&counts)
                .map(|(m, c)| json!({"modality": m, "count": c})).collect::<Vec<_>>(),
        });
        let m = Manifest::new(statement, summary.clone(), details);
        let version = self
            .store
            .put(Kind::Catalogue, name, &cat.to_bytes()?, &m)?;
        Ok(Written {
            kind: Kind::Catalogue,
            name: name.into(),
            version,
            summary,
        })
    }

    /// Reads a catalogue version.
    pub fn catalogue(&self, r: &ObjRef) -> Result<(u32, Catalogue)> {
        let s = self.store.get(Kind::Catalogue, r)?;
        Ok((s.version, Catalogue::from_bytes(&s.payload)?))
    }

    /// `DESCRIBE CATALOGUE r`: per-modality counts and examples, and the
    /// manifest of the version `r` resolves to.
    pub fn describe_catalogue(&self, r: &ObjRef) -> Result<CatalogueDescription> {
        let (version, cat) = self.catalogue(r)?;
        let (_, manifest) = self.manifest(Kind::Catalogue, &ObjRef::at(&r.name, version))?;
        let modalities = cat
            .modalities()
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let values: Vec<&str> = cat
                    .of_modality(i as u16)
                    .map(|(_, a)| a.value.as_str())
                    .collect();
                ModalitySummary {
                    name: name.clone(),
                    attributes: values.len(),
                    examples: values
                        .iter()
                        .take(EXAMPLES)
                        .map(|v| v.to_string())
                        .collect(),
                }
            })
            .collect();
        Ok(CatalogueDescription {
            version,
            modalities,
            manifest,
        })
    }
}
