//! SAMPLE's `WITH (...)` options: defaults and validation. Their names,
//! types, ranges and docs are the DSL's option table (`dsl/src/options/`).

use serde::{Deserialize, Serialize};

use super::anneal::Params;
use crate::{Error, Result};

/// Default of [`SampleOptions::mix_steps`].
pub(crate) const DEFAULT_MIX_STEPS: u32 = 12;

/// `WITH (...)` options of SAMPLE. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SampleOptions {
    /// Seed of every random choice (default 0).
    pub seed: u64,
    /// Annealing steps per attempt (default 5000).
    pub max_iters: u32,
    /// Temperature at step 0, in edge units (default 1.0).
    pub start_temp: f64,
    /// Temperature at the last step (default 0.001).
    pub end_temp: f64,
    /// Accepted for compatibility and recorded, with no effect: rows no
    /// longer maximise the soft terms (they tilt the in-box mixing, see
    /// `mix_steps` and `soft_weight`). Default 500.
    pub patience: u32,
    /// Moves evaluated per step; the best is considered (default 4).
    pub proposals_per_step: u32,
    /// No two rows share a node set (default true).
    pub distinct: bool,
    /// Fraction of rows relabelled after sampling (default 0.0).
    pub noise: f64,
    /// Fresh-seed redraws of a row that misses its box (default 3).
    pub retries: u32,
    /// FAVOUR/AVOID tilt: a row's probability (within its box) is
    /// multiplied by `exp(soft_weight · S)`, S = its edges on FAVOURed
    /// modality pairs minus its edges on AVOIDed pairs (default 0.2: one more
    /// favoured edge makes a row 1.22× as likely).
    pub soft_weight: f64,
    /// Let a row grow or shrink a modality within its range (default true).
    pub resize_moves: bool,
    /// Metropolis steps a row takes inside its box after reaching it, so it
    /// is typical of the box rather than of its edge (default 12).
    pub mix_steps: u32,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            seed: 0,
            max_iters: 5000,
            start_temp: 1.0,
            end_temp: 0.001,
            patience: 500,
            proposals_per_step: 4,
            distinct: true,
            noise: 0.0,
            retries: 3,
            soft_weight: 0.2,
            resize_moves: true,
            mix_steps: DEFAULT_MIX_STEPS,
        }
    }
}

impl SampleOptions {
    pub(super) fn validate(&self) -> Result<()> {
        let fail = |option: &str, m: String, h: &str| Err(Error::bad_option(option, m, h));
        if self.max_iters == 0 {
            return fail(
                "max_iters",
                "max_iters must be at least 1".into(),
                "the default is 5000",
            );
        }
        if self.proposals_per_step == 0 {
            return fail(
                "proposals_per_step",
                "proposals_per_step must be at least 1".into(),
                "the default is 4",
            );
        }
        if !(self.start_temp > 0.0 && self.end_temp > 0.0) {
            // About the one that is not positive (start_temp when both).
            let option = if self.start_temp > 0.0 {
                "end_temp"
            } else {
                "start_temp"
            };
            return fail(
                option,
                format!(
                    "temperatures must be positive (start_temp = {}, end_temp = {})",
                    self.start_temp, self.end_temp
                ),
                "defaults: start_temp = 1.0, end_temp = 0.001",
            );
        }
        if !(0.0..=1.0).contains(&self.noise) {
            return fail(
                "noise",
                format!("noise = {} is outside [0, 1]", self.noise),
                "noise is the fraction of rows relabelled, e.g. 0.05",
            );
        }
        if self.soft_weight.is_nan() || self.soft_weight < 0.0 {
            return fail(
                "soft_weight",
                format!("soft_weight = {} must be >= 0", self.soft_weight),
                "the default is 0.2",
            );
        }
        Ok(())
    }

    pub(super) fn params(&self) -> Params {
        Params {
            max_iters: self.max_iters,
            start_temp: self.start_temp,
            end_temp: self.end_temp,
            proposals_per_step: self.proposals_per_step,
            soft_weight: self.soft_weight,
            resize_moves: self.resize_moves,
            retries: self.retries,
            mix_steps: self.mix_steps,
        }
    }
}
