//! SAMPLE (stores a dataset version), reading a dataset, DESCRIBE DATASET.

use serde_json::json;

use super::{Engine, Written, check_name};
use crate::store::{Kind, Manifest, ObjRef};
use crate::{Ctx, Dataset, DatasetDescription, Result, SampleReport, SampleSpec};

impl Engine {
    /// `SAMPLE ... INTO into`: samples on graph `graph` and stores the rows as
    /// the next version of dataset `into` (one transaction). Nothing is
    /// stored on error or cancellation.
    pub fn sample(
        &self,
        graph: &ObjRef,
        spec: &SampleSpec,
        into: &str,
        statement: &str,
        ctx: &Ctx,
    ) -> Result<(Written, SampleReport)> {
        check_name(into)?;
        spec.validate()?;
        let (gv, g) = self.graph(graph)?;
        let (ds, report) = crate::sample::sample(&g, spec, ctx)?;
        ctx.check()?;
        let in_range = report
            .labels
            .iter()
            .map(|l| l.in_range_rate * l.count as f64)
            .sum::<f64>()
            / report.rows.max(1) as f64;
        let summary = format!(
            "{} rows, {} label(s), {:.1}% in range{}",
            report.rows,
            report.labels.len(),
            100.0 * in_range,
            if report.relabelled > 0 {
                format!(", {} relabelled by noise", report.relabelled)
            } else {
                String::new()
            }
        );
        let mut noise_moves = std::collections::BTreeMap::<(String, String), u64>::new();
        for (s, e) in ds.sampled_labels().iter().zip(ds.emitted_labels()) {
            if s != e {
                *noise_moves
                    .entry((
                        ds.labels()[*s as usize].clone(),
                        ds.labels()[*e as usize].clone(),
                    ))
                    .or_default() += 1;
            }
        }
        let details = json!({
            "graph": {"name": graph.name, "version": gv},
            "rows": report.rows,
            "total": spec.total,
            "types": spec.types,
            "labels": spec.labels,
            "favour": spec.favour,
            "avoid": spec.avoid,
            "options": spec.options,
            "seed": spec.options.seed,
            "noise": {
                "rate": spec.options.noise,
                "relabelled": report.relabelled,
                "moves": noise_moves.iter().map(|((f, t), n)| json!({"from": f, "to": t, "rows": n})).collect::<Vec<_>>(),
            },
            "report": report,
        });
        let m = Manifest::new(statement, summary.clone(), details);
        let version = self.store().put(Kind::Dataset, into, &ds.to_bytes()?, &m)?;
        Ok((
            Written {
                kind: Kind::Dataset,
                name: into.to_string(),
                version,
                summary,
            },
            report,
        ))
    }

    /// Reads a dataset version.
    pub fn dataset(&self, r: &ObjRef) -> Result<(u32, Dataset)> {
        let s = self.store().get(Kind::Dataset, r)?;
        Ok((s.version, Dataset::from_bytes(&s.payload)?))
    }

    /// What `DESCRIBE DATASET r` shows.
    pub fn describe_dataset(&self, r: &ObjRef) -> Result<DatasetDescription> {
        let s = self.store().get(Kind::Dataset, r)?;
        let ds = Dataset::from_bytes(&s.payload)?;
        Ok(DatasetDescription::new(&r.name, s.version, &ds, s.manifest))
    }
}
