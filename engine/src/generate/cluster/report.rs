//! What a CLUSTER run reports: calls per phase, clusters per modality,
//! routing counts (stored in the graph version's manifest).

use serde::{Deserialize, Serialize};

pub use crate::generate::journaled::PhaseStats;

/// Clusters of one modality.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModalityClusters {
    pub modality: String,
    pub attributes: u64,
    pub clusters: u64,
    pub singletons: u64,
    pub noise: u64,
    pub method: String,
}

/// What a CLUSTER run did (also stored in the graph version's manifest).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterReport {
    pub strategy: String,
    pub backend: String,
    pub model: String,
    pub embedding_model: String,
    /// enrichment, embedding, labelling, cluster_scoring, attribute_classification.
    pub phases: Vec<PhaseStats>,
    /// Chat calls of every phase (embedding requests excluded), made + replayed.
    pub chat_calls: u64,
    /// Every request of every phase, made + replayed.
    pub total_calls: u64,
    pub modalities: Vec<ModalityClusters>,
    pub cluster_pairs: u64,
    pub cluster_pairs_positive: u64,
    pub cluster_pairs_negative: u64,
    pub cluster_pairs_neutral_band: u64,
    pub cluster_pairs_null: u64,
    /// Pairs whose scoring failed: kept and classified.
    pub cluster_pairs_unscored: u64,
    pub attribute_pairs: u64,
    pub pairs_discarded: u64,
    pub pairs_inherited: u64,
    /// Pairs of inheriting cluster pairs sent to the LLM for a noise member.
    pub pairs_noise_routed: u64,
    pub pairs_classified: u64,
    pub pairs_unclassified: u64,
    pub edges_pos: u64,
    pub edges_neg: u64,
    pub edges_inherited: u64,
    /// Prompt tokens of every reply received in this run (server's usage).
    #[serde(default)]
    pub tokens_in: u64,
    /// Completion tokens of every reply received in this run.
    #[serde(default)]
    pub tokens_out: u64,
    /// Dollars those tokens cost, when prices are known.
    #[serde(default)]
    pub usd: Option<f64>,
    pub seconds: f64,
    pub failures: Vec<String>,
}

impl crate::generate::Completeness for ClusterReport {
    fn failed_requests(&self) -> u64 {
        self.phases.iter().map(|p| p.failed).sum()
    }
    fn unclassified_pairs(&self) -> u64 {
        self.pairs_unclassified
    }
    fn failure_messages(&self) -> &[String] {
        &self.failures
    }
}

impl ClusterReport {
    /// The phase table: phase, planned, made, replayed, retries, failed, and
    /// a `total` row.
    pub fn phase_table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let header = [
            "phase",
            "planned",
            "made",
            "replayed",
            "retries",
            "failed",
            "tokens_in",
            "tokens_out",
        ]
        .map(String::from)
        .to_vec();
        let mut rows: Vec<Vec<String>> = self
            .phases
            .iter()
            .map(|p| {
                vec![
                    p.phase.clone(),
                    p.planned.to_string(),
                    p.made.to_string(),
                    p.replayed.to_string(),
                    p.retries.to_string(),
                    p.failed.to_string(),
                    p.tokens_in.to_string(),
                    p.tokens_out.to_string(),
                ]
            })
            .collect();
        let sum = |f: fn(&PhaseStats) -> u64| self.phases.iter().map(f).sum::<u64>().to_string();
        rows.push(vec![
            "total".into(),
            sum(|p| p.planned),
            sum(|p| p.made),
            sum(|p| p.replayed),
            sum(|p| p.retries),
            sum(|p| p.failed),
            sum(|p| p.tokens_in),
            sum(|p| p.tokens_out),
        ]);
        (header, rows)
    }

    /// Key figures as (name, value) rows.
    pub fn summary_rows(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("chat_calls".to_string(), self.chat_calls.to_string()),
            ("total_calls".into(), self.total_calls.to_string()),
        ];
        for m in &self.modalities {
            v.push((
                format!("clusters.{}", m.modality),
                format!(
                    "{} clusters of {} attributes ({} singletons, {} noise, {})",
                    m.clusters, m.attributes, m.singletons, m.noise, m.method
                ),
            ));
        }
        for (k, x) in [
            ("cluster_pairs", self.cluster_pairs),
            ("cluster_pairs_positive", self.cluster_pairs_positive),
            ("cluster_pairs_negative", self.cluster_pairs_negative),
            (
                "cluster_pairs_neutral_band",
                self.cluster_pairs_neutral_band,
            ),
            ("cluster_pairs_null", self.cluster_pairs_null),
            ("cluster_pairs_unscored", self.cluster_pairs_unscored),
            ("attribute_pairs", self.attribute_pairs),
            ("pairs_discarded", self.pairs_discarded),
            ("pairs_inherited", self.pairs_inherited),
            ("pairs_noise_routed", self.pairs_noise_routed),
            ("pairs_classified", self.pairs_classified),
            ("pairs_unclassified", self.pairs_unclassified),
            ("edges_pos", self.edges_pos),
            ("edges_neg", self.edges_neg),
            ("edges_inherited", self.edges_inherited),
        ] {
            v.push((k.to_string(), x.to_string()));
        }
        v
    }
}

/// The phases of a CLUSTER run, in order; their names are the report's and
/// EXPLAIN's `phase` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Enrichment,
    Embedding,
    Labelling,
    ClusterScoring,
    AttributeClassification,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Enrichment => "enrichment",
            Phase::Embedding => "embedding",
            Phase::Labelling => "labelling",
            Phase::ClusterScoring => "cluster_scoring",
            Phase::AttributeClassification => "attribute_classification",
        }
    }
}

impl ClusterReport {
    /// Copies the routing counts into the report.
    pub fn set_route(&mut self, r: &super::route::RouteReport) {
        self.cluster_pairs = r.cluster_pairs;
        self.cluster_pairs_positive = r.positive;
        self.cluster_pairs_negative = r.negative;
        self.cluster_pairs_neutral_band = r.neutral_band;
        self.cluster_pairs_null = r.null;
        self.cluster_pairs_unscored = r.unscored;
        self.attribute_pairs = r.attribute_pairs;
        self.pairs_discarded = r.discarded;
        self.pairs_inherited = r.inherited;
        self.pairs_noise_routed = r.noise_routed;
    }
}
