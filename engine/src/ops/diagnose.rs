//! DIAGNOSE: the fraction distribution of random node sets on a stored graph.

use super::Engine;
use crate::store::ObjRef;
use crate::{Ctx, DiagnoseReport, Result, TypeQuota};

impl Engine {
    /// `DIAGNOSE graph TYPES (...) SAMPLES n SEED s` (read-only).
    pub fn diagnose(
        &self,
        graph: &ObjRef,
        types: &[TypeQuota],
        samples: u64,
        seed: u64,
        ctx: &Ctx,
    ) -> Result<DiagnoseReport> {
        let (_, g) = self.graph(graph)?;
        crate::diagnose::diagnose(&g, types, samples, seed, ctx)
    }
}
