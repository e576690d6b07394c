//! EXPORT DATASET and EXPORT GRAPH of stored versions.

use std::path::Path;

use super::Engine;
use crate::export::{export_dataset_to, resolve_dataset_format, resolve_graph_format, write_graph};
use crate::store::ObjRef;
use crate::{ExportOptions, ExportReport, GraphExport, GraphFormat, Result};

impl Engine {
    /// `EXPORT DATASET r TO path [FORMAT f] [SPLIT (...)] [WITH (...)]`.
    pub fn export_dataset(
        &self,
        r: &ObjRef,
        path: &Path,
        options: &ExportOptions,
    ) -> Result<ExportReport> {
        // Check what needs no data first, so a bad path fails fast.
        resolve_dataset_format(path, options.format)?;
        if let Some(s) = &options.split {
            s.check()?;
        }
        let (version, ds) = self.dataset(r)?;
        crate::export::check_dataset_columns(&ds, &format!("dataset '{}@{version}'", r.name))?;
        let (format, files) = export_dataset_to(&ds, path, options)?;
        Ok(ExportReport {
            version,
            format,
            files,
        })
    }

    /// `EXPORT GRAPH g TO path [FORMAT f]`.
    pub fn export_graph(
        &self,
        r: &ObjRef,
        path: &Path,
        format: Option<GraphFormat>,
    ) -> Result<GraphExport> {
        let format = resolve_graph_format(path, format)?;
        let (version, g) = self.graph(r)?;
        let edges = write_graph(&g, path, format)?;
        Ok(GraphExport {
            version,
            format,
            path: path.to_path_buf(),
            edges,
        })
    }
}
