//! Parameters for `?` placeholders, and typed calls for GENERATE, COMPARE
//! and DROP (no statement text to build, so nothing to quote).

use std::path::{Path, PathBuf};

use valence_engine::{
    ClusterOptions, ClusterReport, Comparison, Ctx, GenerateOptions, GenerateReport, Kind, ObjRef,
};

use crate::{Database, Param, Result};

/// A value usable as a `?` parameter: strings, paths, numbers, booleans and
/// [`Param`] itself (for a mixed list: `&[Param::from("x"), Param::from(3)]`).
pub trait ToParam {
    fn to_param(&self) -> Param;
}

impl ToParam for Param {
    fn to_param(&self) -> Param {
        self.clone()
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn to_param(&self) -> Param {
        (**self).to_param()
    }
}

impl ToParam for str {
    fn to_param(&self) -> Param {
        Param::Str(self.to_string())
    }
}

impl ToParam for String {
    fn to_param(&self) -> Param {
        Param::Str(self.clone())
    }
}

impl ToParam for Path {
    fn to_param(&self) -> Param {
        Param::Str(self.to_string_lossy().into_owned())
    }
}

impl ToParam for PathBuf {
    fn to_param(&self) -> Param {
        self.as_path().to_param()
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl ToParam for $t {
            fn to_param(&self) -> Param {
                Param::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i32, i64, u32, u64, usize);

impl ToParam for f64 {
    fn to_param(&self) -> Param {
        Param::Float(*self)
    }
}

impl ToParam for bool {
    fn to_param(&self) -> Param {
        Param::Bool(*self)
    }
}

/// Typed GENERATE, COMPARE and DROP.
impl Database {
    /// `GENERATE GRAPH name FROM catalogue USING BRUTE_FORCE WITH (opts)`;
    /// returns the new version and the run's report. Options are typed, so
    /// a path or URL is never quoted into statement text.
    pub fn generate_brute_force(
        &self,
        name: &str,
        catalogue: &str,
        opts: &GenerateOptions,
    ) -> Result<(u32, GenerateReport)> {
        let (w, r) = self.engine().generate_brute_force(
            name,
            &ObjRef::from(catalogue),
            opts,
            &format!("GENERATE GRAPH {name} FROM {catalogue} USING BRUTE_FORCE (embedded API)"),
            &Ctx::default(),
        )?;
        Ok((w.version, r))
    }

    /// `GENERATE GRAPH name FROM catalogue USING CLUSTER WITH (opts)`.
    pub fn generate_cluster(
        &self,
        name: &str,
        catalogue: &str,
        opts: &ClusterOptions,
    ) -> Result<(u32, ClusterReport)> {
        let (w, r) = self.engine().generate_cluster(
            name,
            &ObjRef::from(catalogue),
            opts,
            &format!("GENERATE GRAPH {name} FROM {catalogue} USING CLUSTER (embedded API)"),
            &Ctx::default(),
        )?;
        Ok((w.version, r))
    }

    /// `COMPARE GRAPH a WITH b` (`"g"` or `"g@2"` each). Ratios over
    /// nothing (no common edge, an empty side) are `None`.
    pub fn compare_graphs(&self, a: &str, b: &str) -> Result<Comparison> {
        Ok(self
            .engine()
            .compare_graphs(&ObjRef::from(a), &ObjRef::from(b))?
            .comparison)
    }

    /// `DROP kind [IF EXISTS] name[@N]`: returns how many versions were
    /// dropped (0 for a missing object with `if_exists`).
    pub fn drop_object(&self, kind: Kind, r: &str, if_exists: bool) -> Result<u32> {
        match self.engine().drop_object(kind, &ObjRef::from(r)) {
            Err(valence_engine::Error::NotFound { .. }) if if_exists => Ok(0),
            other => Ok(other?),
        }
    }
}
