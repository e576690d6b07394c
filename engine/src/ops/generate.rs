//! GENERATE GRAPH (brute force, cluster-first) and their EXPLAINs. The
//! runs themselves live in `generate/` (they never touch the store except
//! through a `Journal`); storing the graph they build is here.

use serde::Serialize;

use super::{Engine, Written, check_name};
use crate::generate::{
    self, ClusterOptions, ClusterPlan, ClusterReport, Completeness, GenerateOptions,
    GenerateReport, Plan,
};
use crate::store::ObjRef;
use crate::{Catalogue, Ctx, Result, SignedGraph};

impl Engine {
    /// `GENERATE GRAPH name FROM catalogue USING BRUTE_FORCE WITH (...)`:
    /// runs over the journal, then stores the graph as the next version of
    /// `name` in one transaction (options and report in its manifest:
    /// `details.generate`, `details.options`, `details.catalogue`).
    pub fn generate_brute_force(
        &self,
        name: &str,
        catalogue: &ObjRef,
        opts: &GenerateOptions,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<(Written, GenerateReport)> {
        let statement = &generate::scrub_statement(statement, opts);
        self.generate_and_store(name, catalogue, opts, opts.allow_failed, statement, |cat| {
            generate::run_brute_force(self.store(), cat, opts, ctx)
        })
    }

    /// `GENERATE GRAPH name FROM catalogue USING CLUSTER WITH (...)`; the
    /// manifest's `details.generate` is the [`ClusterReport`], calls per
    /// phase included.
    pub fn generate_cluster(
        &self,
        name: &str,
        catalogue: &ObjRef,
        opts: &ClusterOptions,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<(Written, ClusterReport)> {
        let allow = opts.generate.allow_failed;
        let statement = &generate::scrub_statement(statement, &opts.generate);
        self.generate_and_store(name, catalogue, opts, allow, statement, |cat| {
            generate::run_cluster(self.store(), cat, opts, ctx)
        })
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

    /// Runs a generation strategy on a stored catalogue and stores the graph as
    /// the next version of `name` in one transaction, with `details.catalogue`,
    /// `details.options` and `details.generate` (the strategy's report) in the
    /// manifest. Shared by BRUTE_FORCE and CLUSTER. A run with unclassified
    /// pairs stores nothing (an error) unless `allow_failed`; then the version
    /// is marked `partial` (summary and `details.partial`).
    fn generate_and_store<O: Serialize, R: Serialize + Completeness>(
        &self,
        name: &str,
        catalogue: &ObjRef,
        opts: &O,
        allow_failed: bool,
        statement: &str,
        run: impl FnOnce(&Catalogue) -> Result<(SignedGraph, R)>,
    ) -> Result<(Written, R)> {
        check_name(name)?;
        let (cv, cat) = self.catalogue(catalogue)?;
        let (g, report) = run(&cat)?;
        let partial = report.failed_requests() > 0 && report.unclassified_pairs() > 0;
        if partial && !allow_failed {
            return Err(generate::incomplete_error(&report));
        }
        let mut details = serde_json::json!({
            "catalogue": {"name": catalogue.name, "version": cv},
            "options": opts,
            "generate": report,
        });
        let origin = if partial {
            details["partial"] = serde_json::json!({
                "failed_requests": report.failed_requests(),
                "unclassified_pairs": report.unclassified_pairs(),
            });
            format!(
                "generated, PARTIAL ({} failed request(s), {} pair(s) unclassified)",
                report.failed_requests(),
                report.unclassified_pairs()
            )
        } else {
            "generated".to_string()
        };
        let w = self.store_graph(name, g, statement, &origin, details)?;
        Ok((w, report))
    }
}

#[cfg(test)]
mod tests {
    /// CLUSTER's failed requests that leave pairs unclassified store
    /// nothing unless allow_failed; then the version is marked partial.
    #[test]
    fn cluster_runs_with_unclassified_pairs_are_not_stored_silently() {
        let engine = crate::Engine::in_memory().unwrap();
        let cat =
            crate::Catalogue::from_rows([("brand", "Nike", None), ("audience", "Kids", None)])
                .unwrap();
        engine
            .store()
            .put(
                crate::Kind::Catalogue,
                "c",
                &cat.to_bytes().unwrap(),
                &crate::Manifest::default(),
            )
            .unwrap();
        let report = || crate::ClusterReport {
            phases: vec![crate::generate::PhaseStats {
                phase: "classify".into(),
                failed: 2,
                ..Default::default()
            }],
            pairs_unclassified: 1,
            ..Default::default()
        };
        let graph = || crate::GraphBuilder::from_catalogue(&cat).build();
        let run = |allow| {
            engine.generate_and_store("g", &"c".into(), &(), allow, "GENERATE", |_| {
                Ok((graph(), report()))
            })
        };
        let e = run(false).unwrap_err().to_string();
        assert!(
            e.contains("2 request(s) failed") && e.contains("1 pair(s) unclassified"),
            "{e}"
        );
        assert!(engine.list(crate::Kind::Graph).unwrap().is_empty());
        let (w, _) = run(true).unwrap();
        assert!(w.summary.contains("PARTIAL"), "{}", w.summary);
        let (_, m) = engine.manifest(crate::Kind::Graph, &"g".into()).unwrap();
        assert_eq!(m.details["partial"]["unclassified_pairs"], 1);
    }
}
