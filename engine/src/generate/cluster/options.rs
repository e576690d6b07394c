//! The options of `GENERATE ... USING CLUSTER WITH (...)`.

use serde::Serialize;

use crate::cluster::ClusterParams;
use crate::generate::GenerateOptions;
use crate::{Error, Result};

/// Every option of `GENERATE ... USING CLUSTER WITH (...)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterOptions {
    /// The options shared with BRUTE_FORCE (backend, budget, batch_size...).
    pub generate: GenerateOptions,
    /// `min_attributes_to_cluster` (15): smaller modalities are singletons.
    pub min_attributes_to_cluster: usize,
    /// `umap_threshold` (20): UMAP from this many attributes on, PCA below.
    pub umap_threshold: usize,
    /// `umap_dims` (15).
    pub umap_dims: usize,
    /// `min_cluster_size` (2).
    pub min_cluster_size: usize,
    /// `pos_threshold` (7.0): cluster pairs scoring at least this survive as positive.
    pub pos_threshold: f64,
    /// `neg_threshold` (4.0): cluster pairs scoring at most this survive as negative.
    pub neg_threshold: f64,
    /// `inherit_pos` (8.0): surviving pairs at least this give `+` directly.
    pub inherit_pos: f64,
    /// `inherit_neg` (3.0): surviving pairs at most this give `-` directly.
    pub inherit_neg: f64,
    /// `embedding_model`; empty = env `OPENAI_EMBEDDING_MODEL` (no built-in
    /// default: a run that needs embeddings without one stops saying so).
    pub embedding_model: String,
    /// `enrich_batch` (25): attributes described per call (1 = the report's way).
    pub enrich_batch: usize,
    /// `label_batch` (1): clusters labelled per call (1 = Appendix B verbatim).
    pub label_batch: usize,
    /// `mix_modalities` (true): one classification call may hold targets of
    /// several modalities for its primary attribute (fewer, fuller calls).
    pub mix_modalities: bool,
    /// The templates read from `generate.prompts` ([`ClusterOptions::loaded`]).
    #[serde(skip)]
    pub templates: crate::llm::cluster_tasks::ClusterTemplates,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            generate: GenerateOptions::default(),
            min_attributes_to_cluster: 15,
            umap_threshold: 20,
            umap_dims: 15,
            min_cluster_size: 2,
            pos_threshold: 7.0,
            neg_threshold: 4.0,
            inherit_pos: 8.0,
            inherit_neg: 3.0,
            embedding_model: String::new(),
            enrich_batch: 25,
            label_batch: 1,
            mix_modalities: true,
            templates: Default::default(),
        }
    }
}

impl ClusterOptions {
    /// These options with the templates of `prompts` read and checked.
    pub fn loaded(&self) -> Result<ClusterOptions> {
        Ok(ClusterOptions {
            templates: self.generate.templates()?,
            ..self.clone()
        })
    }

    /// Defaults around the given shared options.
    pub fn with_generate(generate: GenerateOptions) -> ClusterOptions {
        ClusterOptions {
            generate,
            ..ClusterOptions::default()
        }
    }

    /// Checks ranges; errors name the option.
    pub fn validate(&self) -> Result<()> {
        self.check().map_err(|e| e.error)
    }

    /// [`ClusterOptions::validate`], saying which option is wrong.
    pub fn check(&self) -> std::result::Result<(), crate::generate::OptionError> {
        self.generate.check()?;
        let bad = |name: &'static str, v: String, range: &str| {
            Err(crate::generate::OptionError::range(name, v, range))
        };
        if self.min_cluster_size < 2 {
            return bad(
                "min_cluster_size",
                self.min_cluster_size.to_string(),
                "at least 2",
            );
        }
        if self.umap_dims == 0 {
            return bad("umap_dims", "0".into(), "at least 1");
        }
        if self.enrich_batch == 0 {
            return bad("enrich_batch", "0".into(), "at least 1");
        }
        if self.label_batch == 0 {
            return bad("label_batch", "0".into(), "at least 1");
        }
        for (n, v) in [
            ("pos_threshold", self.pos_threshold),
            ("neg_threshold", self.neg_threshold),
            ("inherit_pos", self.inherit_pos),
            ("inherit_neg", self.inherit_neg),
        ] {
            if !v.is_finite() {
                return bad(n, v.to_string(), "a number (scores are 0 to 10)");
            }
        }
        if self.neg_threshold >= self.pos_threshold {
            return Err(crate::generate::OptionError {
                option: "neg_threshold",
                related: Some("pos_threshold"),
                error: Error::invalid_hint(
                    format!(
                        "neg_threshold {} is not below pos_threshold {}",
                        self.neg_threshold, self.pos_threshold
                    ),
                    "the neutral band is neg_threshold < score < pos_threshold",
                ),
            });
        }
        Ok(())
    }

    /// The embedding model: `embedding_model`, else env
    /// `OPENAI_EMBEDDING_MODEL`; `None` when neither is set.
    pub fn resolved_embedding_model(&self) -> Option<String> {
        let m = self.embedding_model.trim();
        if !m.is_empty() {
            return Some(m.to_string());
        }
        std::env::var("OPENAI_EMBEDDING_MODEL")
            .ok()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
    }

    pub(crate) fn params(&self) -> ClusterParams {
        ClusterParams {
            min_attributes_to_cluster: self.min_attributes_to_cluster,
            umap_threshold: self.umap_threshold,
            umap_dims: self.umap_dims,
            min_cluster_size: self.min_cluster_size,
            seed: self.generate.seed,
        }
    }
}

impl ClusterOptions {
    /// The routing thresholds.
    pub fn thresholds(&self) -> super::route::Thresholds {
        super::route::Thresholds {
            pos: self.pos_threshold,
            neg: self.neg_threshold,
            inherit_pos: self.inherit_pos,
            inherit_neg: self.inherit_neg,
        }
    }
}
