//! [`Engine`]: the typed operations that statements perform, over a [`Store`].
//! The DSL executor and the embedded API both call these; neither touches
//! redb tables directly.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::edges::ImportStats;
use crate::store::{Kind, Manifest, ObjRef, ObjectInfo, Store};
use crate::{Catalogue, Ctx, Error, Result, SignedGraph};

/// A version that a statement wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub kind: Kind,
    pub name: String,
    pub version: u32,
    pub summary: String,
}

/// The engine: a store plus a cache of loaded graph snapshots (safe because
/// versions are immutable and never reused).
pub struct Engine {
    store: Store,
    graphs: Mutex<HashMap<(String, u32), Arc<SignedGraph>>>,
}

/// Checks an object name against the DSL's name rule.
pub fn check_name(name: &str) -> Result<()> {
    crate::limits::check_name_len(name)?;
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_hint(
            format!("{} is not a valid name", crate::limits::quote(name)),
            "names are letters, digits and `_`, starting with a letter or `_`",
        ))
    }
}

impl Engine {
    /// Opens or creates a database file. An existing file that cannot be
    /// opened for writing (permissions, a read-only mount) is opened
    /// read-only instead; [`Engine::is_read_only`] tells.
    pub fn open(path: &Path) -> Result<Engine> {
        Ok(Engine::with_store(Store::open(path)?))
    }

    /// Opens an existing database file read-only: it is never written, and
    /// every statement that would write fails with [`Error::ReadOnly`].
    pub fn open_read_only(path: &Path) -> Result<Engine> {
        Ok(Engine::with_store(Store::open_read_only(path)?))
    }

    /// Whether writes are refused (opened read-only, or a read-only file).
    pub fn is_read_only(&self) -> bool {
        self.store.is_read_only()
    }

    /// A fresh in-memory database.
    pub fn in_memory() -> Result<Engine> {
        Ok(Engine::with_store(Store::in_memory()?))
    }

    pub fn with_store(store: Store) -> Engine {
        Engine {
            store,
            graphs: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    // ---- catalogues -----------------------------------------------------

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

    // ---- graphs ---------------------------------------------------------

    /// `IMPORT GRAPH name FROM 'path' [CATALOGUE c]`.
    pub fn import_graph(
        &self,
        name: &str,
        path: &Path,
        catalogue: Option<&ObjRef>,
        statement: &str,
    ) -> Result<(Written, ImportStats)> {
        self.import_graph_with(name, path, catalogue, statement, &Ctx::default())
    }

    /// [`Engine::import_graph`] that Ctrl-C (`ctx`) can cancel; nothing is stored then.
    pub fn import_graph_with(
        &self,
        name: &str,
        path: &Path,
        catalogue: Option<&ObjRef>,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<(Written, ImportStats)> {
        check_name(name)?;
        let cat = catalogue.map(|c| self.catalogue(c)).transpose()?;
        let (g, stats) =
            crate::edges::read_edges_csv_with(path, cat.as_ref().map(|(_, c)| c), ctx)?;
        ctx.check()?;
        let mut details = json!({
            "source": path.display().to_string(),
            "import": stats,
        });
        if let (Some(r), Some((v, _))) = (catalogue, &cat) {
            details["catalogue"] = json!({"name": r.name, "version": v});
        }
        let written = self.store_graph(name, g, statement, "imported", details)?;
        Ok((written, stats))
    }

    /// Stores a graph as the next version of `name` in one transaction.
    /// `origin` is a short word for the summary (imported, generated...).
    pub fn store_graph(
        &self,
        name: &str,
        g: SignedGraph,
        statement: &str,
        origin: &str,
        details: serde_json::Value,
    ) -> Result<Written> {
        check_name(name)?;
        let (p, n) = g.edge_counts();
        let summary = format!(
            "{origin}: {} nodes, {p} positive and {n} negative edges",
            g.node_count()
        );
        let m = Manifest::new(statement, summary.clone(), details);
        let version = self.store.put(Kind::Graph, name, &g.to_snapshot()?, &m)?;
        self.cache()
            .insert((name.to_string(), version), Arc::new(g));
        Ok(Written {
            kind: Kind::Graph,
            name: name.into(),
            version,
            summary,
        })
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u32), Arc<SignedGraph>>> {
        self.graphs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads a graph version (cached after the first load).
    pub fn graph(&self, r: &ObjRef) -> Result<(u32, Arc<SignedGraph>)> {
        let version = self.store.resolve(Kind::Graph, r)?;
        let key = (r.name.clone(), version);
        if let Some(g) = self.cache().get(&key) {
            return Ok((version, g.clone()));
        }
        let s = self.store.get(Kind::Graph, &ObjRef::at(&r.name, version))?;
        let g = Arc::new(SignedGraph::from_snapshot(&s.payload)?);
        self.cache().insert(key, g.clone());
        Ok((version, g))
    }

    // ---- generic --------------------------------------------------------

    /// Latest version of every name of a kind.
    pub fn list(&self, kind: Kind) -> Result<Vec<ObjectInfo>> {
        self.store.list(kind)
    }

    /// The manifest of one version.
    pub fn manifest(&self, kind: Kind, r: &ObjRef) -> Result<(u32, Manifest)> {
        let v = self.store.resolve(kind, r)?;
        let m = self
            .store
            .versions(kind, &r.name)?
            .into_iter()
            .find(|(x, _)| *x == v)
            .map(|(_, m)| m)
            .unwrap_or_default();
        Ok((v, m))
    }

    /// `DROP kind name[@v]`: removes one version or every version. Returns
    /// how many versions were removed.
    pub fn drop_object(&self, kind: Kind, r: &ObjRef) -> Result<u32> {
        if let Some(v) = r.version {
            self.store.resolve(kind, r)?;
            self.store.write(|w| w.drop(kind, &r.name, Some(v)))
        } else {
            self.store.resolve(kind, r)?;
            self.store.write(|w| w.drop(kind, &r.name, None))
        }
    }
}
