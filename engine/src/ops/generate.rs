//! GENERATE GRAPH (brute force, cluster-first) and their EXPLAINs. The
//! runs themselves live in `generate/`; these are the operations a
//! statement performs on a stored catalogue.

use super::{Engine, Written};
use crate::generate::{
    self, ClusterOptions, ClusterPlan, ClusterReport, GenerateOptions, GenerateReport, Plan,
};
use crate::store::ObjRef;
use crate::{Ctx, Result};

impl Engine {
    /// `GENERATE GRAPH name FROM catalogue USING BRUTE_FORCE WITH (...)`:
    /// runs over the journal, then stores the graph as the next version of
    /// `name` in one transaction (options and report in its manifest).
    pub fn generate_brute_force(
        &self,
        name: &str,
        catalogue: &ObjRef,
        opts: &GenerateOptions,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<(Written, GenerateReport)> {
        generate::generate_graph(self, name, catalogue, opts, statement, ctx)
    }

    /// `GENERATE GRAPH name FROM catalogue USING CLUSTER WITH (...)`.
    pub fn generate_cluster(
        &self,
        name: &str,
        catalogue: &ObjRef,
        opts: &ClusterOptions,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<(Written, ClusterReport)> {
        generate::generate_graph_cluster(self, name, catalogue, opts, statement, ctx)
    }

    /// `EXPLAIN GENERATE ... USING BRUTE_FORCE`: the call plan on the
    /// catalogue, with how many batches the journal already answers. Makes
    /// no call.
    pub fn explain_brute_force(&self, catalogue: &ObjRef, opts: &GenerateOptions) -> Result<Plan> {
        let (_, cat) = self.catalogue(catalogue)?;
        generate::explain_brute_force(self.store(), &cat, opts)
    }

    /// `EXPLAIN GENERATE ... USING CLUSTER`: calls per phase known from the
    /// catalogue, and an upper bound. Makes no call.
    pub fn explain_cluster(
        &self,
        catalogue: &ObjRef,
        opts: &ClusterOptions,
    ) -> Result<ClusterPlan> {
        let (_, cat) = self.catalogue(catalogue)?;
        generate::explain_cluster(self.store(), &cat, opts)
    }
}
