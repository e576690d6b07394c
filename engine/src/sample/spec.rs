//! SAMPLE's request: TYPES quotas, LABEL boxes, the whole spec, and the
//! checks run before any work (on the spec alone, then against the graph).
//! Every refusal names the label, modality or option at fault
//! ([`crate::Error::subject`]).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{SampleOptions, Slot, boxes};
use crate::{Code, Error, Result, SignedGraph, Subject};

/// One TYPES entry: every row has between `min` and `max` values of `modality`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeQuota {
    pub modality: String,
    pub min: u32,
    pub max: u32,
}

impl TypeQuota {
    pub fn new(modality: impl Into<String>, min: u32, max: u32) -> TypeQuota {
        TypeQuota {
            modality: modality.into(),
            min,
            max,
        }
    }
}

/// One LABEL: `count` rows whose pos_frac and neg_frac lie in the closed
/// intervals `pos` and `neg` (an omitted range is `[0, 1]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSpec {
    pub name: String,
    pub count: u64,
    pub pos: (f64, f64),
    pub neg: (f64, f64),
}

impl LabelSpec {
    /// A label with both ranges `[0, 1]`.
    pub fn new(name: impl Into<String>, count: u64) -> LabelSpec {
        LabelSpec {
            name: name.into(),
            count,
            pos: (0.0, 1.0),
            neg: (0.0, 1.0),
        }
    }
    pub fn pos(mut self, lo: f64, hi: f64) -> LabelSpec {
        self.pos = (lo, hi);
        self
    }
    pub fn neg(mut self, lo: f64, hi: f64) -> LabelSpec {
        self.neg = (lo, hi);
        self
    }
    pub(super) fn box_text(&self) -> String {
        format!(
            "pos_frac IN [{}, {}] AND neg_frac IN [{}, {}]",
            self.pos.0, self.pos.1, self.neg.0, self.neg.1
        )
    }
}

/// A whole SAMPLE statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSpec {
    pub total: u64,
    pub types: Vec<TypeQuota>,
    pub labels: Vec<LabelSpec>,
    #[serde(default)]
    pub favour: Vec<(String, String)>,
    #[serde(default)]
    pub avoid: Vec<(String, String)>,
    #[serde(default)]
    pub options: SampleOptions,
}

impl SampleSpec {
    /// Checks everything that does not need the graph: counts add up, boxes
    /// can hold, options are sane. Runs before any work.
    pub fn validate(&self) -> Result<()> {
        validate_types(&self.types)?;
        if self.labels.is_empty() {
            return Err(Error::invalid_hint(
                "SAMPLE needs at least one LABEL",
                "e.g. LABEL pos COUNT 100 WHERE pos_frac IN [0.2, 1.0]",
            ));
        }
        let mut names = HashSet::new();
        for l in &self.labels {
            if l.name.is_empty() {
                return Err(Error::invalid("a label name is empty"));
            }
            if !names.insert(l.name.as_str()) {
                return Err(Error::rejected(
                    Code::DuplicateLabel,
                    Subject::Label(l.name.clone()),
                    format!("label '{}' appears twice", l.name),
                    "give each LABEL a distinct name",
                ));
            }
            check_box(l)?;
        }
        let width: u64 = self.types.iter().map(|t| t.max as u64).sum();
        if self.total.saturating_mul(width) > u32::MAX as u64 {
            return Err(Error::rejected(
                Code::TooLarge,
                None,
                format!(
                    "{} rows of up to {width} nodes exceed the dataset size limit (2^32 values)",
                    self.total
                ),
                "ask for fewer rows, or narrower TYPES ranges",
            ));
        }
        let sum: u64 = self.labels.iter().map(|l| l.count).sum();
        if sum != self.total {
            let parts: Vec<String> = self
                .labels
                .iter()
                .map(|l| format!("{} {}", l.name, l.count))
                .collect();
            return Err(Error::rejected(
                Code::CountMismatch,
                None,
                format!(
                    "label COUNTs add up to {sum} ({}) but SAMPLE asks for {} rows",
                    parts.join(" + "),
                    self.total
                ),
                "make the COUNTs add up to the SAMPLE total",
            ));
        }
        self.check_pairs()?;
        if self.options.noise > 0.0 && self.labels.len() < 2 {
            return Err(Error::bad_option(
                "noise",
                "noise needs at least two labels (a noisy row gets another label)",
                "add a LABEL or drop the noise option",
            ));
        }
        self.options.validate()?;
        boxes::check_room(&self.labels, &self.types)
    }

    /// FAVOUR/AVOID pairs name two different modalities of TYPES.
    fn check_pairs(&self) -> Result<()> {
        for (a, b) in self.favour.iter().chain(&self.avoid) {
            for m in [a, b] {
                if !self.types.iter().any(|t| &t.modality == m) {
                    return Err(Error::rejected(
                        Code::UnknownModality,
                        Subject::Modality(m.clone()),
                        format!("FAVOUR/AVOID names modality '{m}', which is not in TYPES"),
                        format!(
                            "TYPES has: {}",
                            self.types
                                .iter()
                                .map(|t| t.modality.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
            if a == b {
                return Err(Error::rejected(
                    Code::BadPair,
                    None,
                    format!("FAVOUR/AVOID pair ({a}, {b}) names one modality twice"),
                    "edges only join different modalities",
                ));
            }
        }
        Ok(())
    }
}

/// One label's box: both ranges within [0, 1], min <= max, and room for
/// both minimums together.
fn check_box(l: &LabelSpec) -> Result<()> {
    for (what, (lo, hi)) in [("pos_frac", l.pos), ("neg_frac", l.neg)] {
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) {
            return Err(Error::rejected(
                Code::BadRange,
                Subject::Label(l.name.clone()),
                format!(
                    "label '{}': {what} IN [{lo}, {hi}] is outside [0, 1]",
                    l.name
                ),
                "fractions lie between 0 and 1",
            ));
        }
        if lo > hi {
            return Err(Error::rejected(
                Code::BadRange,
                Subject::Label(l.name.clone()),
                format!("label '{}': {what} IN [{lo}, {hi}] has min > max", l.name),
                "write the smaller bound first",
            ));
        }
    }
    if l.pos.0 + l.neg.0 > 1.0 {
        return Err(Error::rejected(
            Code::EmptyBox,
            Subject::Label(l.name.clone()),
            format!(
                "label '{}': pos_frac >= {} and neg_frac >= {} cannot hold together (they sum to more than 1)",
                l.name, l.pos.0, l.neg.0
            ),
            "lower one of the two minimums; run DIAGNOSE to see the graph's fractions",
        ));
    }
    Ok(())
}

fn validate_types(types: &[TypeQuota]) -> Result<()> {
    if types.is_empty() {
        return Err(Error::invalid_hint(
            "TYPES is empty",
            "e.g. TYPES (brand [1,1], geo [1,2])",
        ));
    }
    let mut seen = HashSet::new();
    for t in types {
        if !seen.insert(t.modality.as_str()) {
            return Err(Error::rejected(
                Code::DuplicateModality,
                Subject::Modality(t.modality.clone()),
                format!("modality '{}' appears twice in TYPES", t.modality),
                "give each modality one [min, max] range",
            ));
        }
        if t.min > t.max {
            return Err(Error::rejected(
                Code::BadRange,
                Subject::Modality(t.modality.clone()),
                format!(
                    "TYPES {} [{}, {}]: min is greater than max",
                    t.modality, t.min, t.max
                ),
                "write the smaller bound first",
            ));
        }
    }
    let width: u64 = types.iter().map(|t| t.max as u64).sum();
    if width > u16::MAX as u64 {
        return Err(Error::rejected(
            Code::TooLarge,
            None,
            format!(
                "TYPES allow rows of {width} nodes; at most {} are supported",
                u16::MAX
            ),
            "lower the TYPES maximums",
        ));
    }
    if types.iter().all(|t| t.max == 0) {
        return Err(Error::invalid(
            "every TYPES range is [0, 0]: rows would be empty",
        ));
    }
    Ok(())
}

/// Resolves TYPES against a graph; a modality the graph lacks or cannot fill
/// is an error naming it.
pub(crate) fn resolve_types<'g>(g: &'g SignedGraph, types: &[TypeQuota]) -> Result<Vec<Slot<'g>>> {
    validate_types(types)?;
    let mut out = Vec::with_capacity(types.len());
    for t in types {
        let Some(m) = g.modality_index(&t.modality) else {
            return Err(Error::rejected(
                Code::UnknownModality,
                Subject::Modality(t.modality.clone()),
                format!("the graph has no modality '{}'", t.modality),
                format!("its modalities: {}", g.modalities().join(", ")),
            ));
        };
        let nodes = g.nodes_of(m);
        if t.max as usize > nodes.len() {
            return Err(Error::rejected(
                Code::TooFewNodes,
                Subject::Modality(t.modality.clone()),
                format!(
                    "TYPES {} [{}, {}]: the graph has only {} node(s) of modality '{}'",
                    t.modality,
                    t.min,
                    t.max,
                    nodes.len(),
                    t.modality
                ),
                format!("lower the max of {} to at most {}", t.modality, nodes.len()),
            ));
        }
        out.push(Slot {
            min: t.min,
            max: t.max,
            nodes,
        });
    }
    if types.len() > u16::MAX as usize {
        return Err(Error::invalid("too many TYPES entries"));
    }
    Ok(out)
}
