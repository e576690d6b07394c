//! The brute-force plan: which calls classify every cross-modality pair.
//!
//! For each unordered pair of modalities (A, B) one side is PRIMARY: one call
//! per primary attribute per batch of up to `batch_size` targets of the other
//! side, so the pair costs `|A| * ceil(|B| / batch_size)` calls with A
//! primary. Every cross-modality attribute pair is asked exactly once.
//!
//! Which side is primary ([`PrimaryRule`]):
//! * `fewer_calls` (default): the side that needs fewer calls; on a tie the
//!   modality that comes first in the catalogue. Small catalogue
//!   (brand 10, audience 10, geo 4, platform 3): 27 calls; large catalogue
//!   (brand 60, audience 60, platform 10, geo 30): 440 calls.
//! * `larger`: the side with more attributes (tie: first in the catalogue).
//!   This reproduces the report's own counts: 54 (small) and 570 (large).
//! * `first`: the modality that comes first in the catalogue: 54 (small) and
//!   560 (large, in the order brand, audience, platform, geo).
//!
//! The plan is a pure function of the catalogue order and the options.

use serde::Serialize;

use crate::llm::prompt::{Template, estimate_tokens};

/// How the primary side of a modality pair is chosen (see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrimaryRule {
    #[default]
    FewerCalls,
    Larger,
    First,
}

impl PrimaryRule {
    pub fn parse(s: &str) -> Option<PrimaryRule> {
        match s.to_ascii_lowercase().as_str() {
            "fewer_calls" => Some(PrimaryRule::FewerCalls),
            "larger" => Some(PrimaryRule::Larger),
            "first" => Some(PrimaryRule::First),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PrimaryRule::FewerCalls => "fewer_calls",
            PrimaryRule::Larger => "larger",
            PrimaryRule::First => "first",
        }
    }
}

/// One modality pair of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairPlan {
    pub primary: String,
    pub other: String,
    pub primary_attributes: u64,
    pub other_attributes: u64,
    /// Batches per primary attribute: ceil(other / batch_size).
    pub batches_per_primary: u64,
    pub calls: u64,
    /// Attribute pairs covered: primary * other.
    pub pairs: u64,
    /// Calls whose answer is already in the journal (EXPLAIN only).
    pub journaled: u64,
    /// Rough prompt tokens of this pair's calls.
    pub est_prompt_tokens: u64,
    /// Rough completion tokens of this pair's calls ([`est_reply_tokens`]).
    pub est_completion_tokens: u64,
}

/// Rough completion tokens of a sign-classification reply for `targets`
/// targets: a fenced JSON object, ~5 tokens a target (`"12": "+",`) and
/// ~8 for the fence and braces.
pub fn est_reply_tokens(targets: usize) -> u64 {
    8 + 5 * targets as u64
}

/// One call: a primary attribute and up to `batch_size` targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Index into `Plan::pairs`.
    pub pair: usize,
    pub primary_modality: String,
    pub primary_value: String,
    pub target_modality: String,
    pub targets: Vec<String>,
}

/// The whole plan, in a fixed order (modality pairs in catalogue order,
/// then primary attributes in catalogue order, then target batches).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub rule: PrimaryRule,
    pub batch_size: usize,
    pub pairs: Vec<PairPlan>,
    #[serde(skip)]
    pub batches: Vec<Batch>,
    pub total_calls: u64,
    pub total_pairs: u64,
    /// Calls already answered in the journal (filled by `explain`).
    pub journaled_calls: u64,
    /// False when EXPLAIN could not look in the journal (no backend identity:
    /// an oracle without `reference`, or openai without a model); the
    /// `journaled` figures are then unknown, not zero.
    pub journal_checked: bool,
    /// Rough prompt tokens of all calls (~4 characters per token).
    pub est_prompt_tokens: u64,
    /// Rough completion tokens of all calls.
    pub est_completion_tokens: u64,
    /// Prices, when known (EXPLAIN's dollar columns).
    pub pricing: Option<crate::llm::usage::Pricing>,
    /// The share of the sync price a provider batch costs.
    pub batch_discount: f64,
    /// Where the template comes from (EXPLAIN's `template` column).
    pub template: String,
}

fn calls(primary: u64, other: u64, batch: u64) -> u64 {
    primary * other.div_ceil(batch)
}

/// Plans the calls for `modalities` = (name, values) in catalogue order.
/// `batch_size` must be at least 1 (checked by the caller's options).
pub fn plan_modalities(
    modalities: &[(String, Vec<String>)],
    batch_size: usize,
    rule: PrimaryRule,
    template: &Template,
) -> Plan {
    let bs = batch_size.max(1);
    let mut plan = Plan {
        journal_checked: false,
        rule,
        batch_size: bs,
        pairs: Vec::new(),
        batches: Vec::new(),
        total_calls: 0,
        total_pairs: 0,
        journaled_calls: 0,
        est_prompt_tokens: 0,
        est_completion_tokens: 0,
        pricing: None,
        batch_discount: 0.5,
        template: String::new(),
    };
    for i in 0..modalities.len() {
        for j in i + 1..modalities.len() {
            let (a, b) = (&modalities[i], &modalities[j]);
            let (na, nb) = (a.1.len() as u64, b.1.len() as u64);
            if na == 0 || nb == 0 {
                continue;
            }
            let a_primary = match rule {
                PrimaryRule::FewerCalls => calls(na, nb, bs as u64) <= calls(nb, na, bs as u64),
                PrimaryRule::Larger => na >= nb,
                PrimaryRule::First => true,
            };
            let (p, o) = if a_primary { (a, b) } else { (b, a) };
            let pair = plan.pairs.len();
            let (np, no) = (p.1.len() as u64, o.1.len() as u64);
            plan.pairs.push(PairPlan {
                primary: p.0.clone(),
                other: o.0.clone(),
                primary_attributes: np,
                other_attributes: no,
                batches_per_primary: no.div_ceil(bs as u64),
                calls: calls(np, no, bs as u64),
                pairs: np * no,
                journaled: 0,
                est_prompt_tokens: 0,
                est_completion_tokens: 0,
            });
            for pv in &p.1 {
                for chunk in o.1.chunks(bs) {
                    plan.batches.push(Batch {
                        pair,
                        primary_modality: p.0.clone(),
                        primary_value: pv.clone(),
                        target_modality: o.0.clone(),
                        targets: chunk.to_vec(),
                    });
                }
            }
        }
    }
    plan.total_calls = plan.batches.len() as u64;
    plan.total_pairs = plan.pairs.iter().map(|p| p.pairs).sum();
    for b in &plan.batches {
        plan.pairs[b.pair].est_prompt_tokens += estimate_tokens(&render(template, b));
        plan.pairs[b.pair].est_completion_tokens += est_reply_tokens(b.targets.len());
    }
    plan.est_prompt_tokens = plan.pairs.iter().map(|p| p.est_prompt_tokens).sum();
    plan.est_completion_tokens = plan.pairs.iter().map(|p| p.est_completion_tokens).sum();
    plan
}

impl Plan {
    /// EXPLAIN's table: one row per modality pair and a `total` row.
    /// Columns: primary, other, primary_attributes, other_attributes,
    /// batches_per_primary, pairs, calls, journaled, to_call,
    /// est_prompt_tokens, est_completion_tokens, est_usd and est_usd_batch
    /// (of every call of the plan, journaled ones included; empty without
    /// prices).
    pub fn explain_table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let usd = |i: u64, o: u64, discount: f64| {
            self.pricing
                .map(|p| format!("{:.4}", p.usd(i, o) * discount))
                .unwrap_or_default()
        };
        let known = |n: u64| {
            if self.journal_checked {
                n.to_string()
            } else {
                String::new()
            }
        };
        let header = [
            "primary",
            "other",
            "primary_attributes",
            "other_attributes",
            "batches_per_primary",
            "pairs",
            "calls",
            "journaled",
            "to_call",
            "est_prompt_tokens",
            "est_completion_tokens",
            "est_usd",
            "est_usd_batch",
            "template",
        ]
        .map(String::from)
        .to_vec();
        let mut rows: Vec<Vec<String>> = self
            .pairs
            .iter()
            .map(|p| {
                vec![
                    p.primary.clone(),
                    p.other.clone(),
                    p.primary_attributes.to_string(),
                    p.other_attributes.to_string(),
                    p.batches_per_primary.to_string(),
                    p.pairs.to_string(),
                    p.calls.to_string(),
                    known(p.journaled),
                    known(p.calls - p.journaled.min(p.calls)),
                    p.est_prompt_tokens.to_string(),
                    p.est_completion_tokens.to_string(),
                    usd(p.est_prompt_tokens, p.est_completion_tokens, 1.0),
                    usd(
                        p.est_prompt_tokens,
                        p.est_completion_tokens,
                        self.batch_discount,
                    ),
                    self.template.clone(),
                ]
            })
            .collect();
        rows.push(vec![
            "total".into(),
            if self.journal_checked {
                format!(
                    "primary = {}, batch_size = {}",
                    self.rule.name(),
                    self.batch_size
                )
            } else {
                format!(
                    "primary = {}, batch_size = {}; journal not checked (no backend given: calls and pairs are exact, journaled/to_call unknown)",
                    self.rule.name(),
                    self.batch_size
                )
            },
            String::new(),
            String::new(),
            String::new(),
            self.total_pairs.to_string(),
            self.total_calls.to_string(),
            known(self.journaled_calls),
            known(self.total_calls - self.journaled_calls.min(self.total_calls)),
            self.est_prompt_tokens.to_string(),
            self.est_completion_tokens.to_string(),
            usd(self.est_prompt_tokens, self.est_completion_tokens, 1.0),
            usd(
                self.est_prompt_tokens,
                self.est_completion_tokens,
                self.batch_discount,
            ),
            self.template.clone(),
        ]);
        (header, rows)
    }
}

/// The prompt of one batch.
pub fn render(template: &Template, b: &Batch) -> String {
    template.render_signs(&b.primary_modality, &b.primary_value, &b.targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(sizes: &[(&str, usize)]) -> Vec<(String, Vec<String>)> {
        sizes
            .iter()
            .map(|(m, n)| (m.to_string(), (0..*n).map(|i| format!("{m}{i}")).collect()))
            .collect()
    }

    fn total(sizes: &[(&str, usize)], rule: PrimaryRule) -> u64 {
        let p = plan_modalities(&cat(sizes), 25, rule, &Template::default_sign());
        assert_eq!(p.total_calls, p.pairs.iter().map(|x| x.calls).sum::<u64>());
        p.total_calls
    }

    const SMALL: &[(&str, usize)] = &[("brand", 10), ("audience", 10), ("geo", 4), ("platform", 3)];
    const LARGE: &[(&str, usize)] = &[
        ("brand", 60),
        ("audience", 60),
        ("platform", 10),
        ("geo", 30),
    ];

    #[test]
    fn call_counts() {
        assert_eq!(total(SMALL, PrimaryRule::FewerCalls), 27);
        assert_eq!(total(SMALL, PrimaryRule::Larger), 54);
        assert_eq!(total(SMALL, PrimaryRule::First), 54);
        assert_eq!(total(LARGE, PrimaryRule::FewerCalls), 440);
        assert_eq!(total(LARGE, PrimaryRule::Larger), 570);
        assert_eq!(total(LARGE, PrimaryRule::First), 560);
    }

    #[test]
    fn explain_table_totals() {
        let p = plan_modalities(
            &cat(SMALL),
            25,
            PrimaryRule::FewerCalls,
            &Template::default_sign(),
        );
        let (h, rows) = p.explain_table();
        assert_eq!(rows.len(), 7);
        let last = rows.last().unwrap();
        assert_eq!(last[0], "total");
        assert_eq!(last[h.iter().position(|c| c == "calls").unwrap()], "27");
        assert_eq!(last[h.iter().position(|c| c == "pairs").unwrap()], "252");
    }

    #[test]
    fn every_pair_once() {
        for rule in [
            PrimaryRule::FewerCalls,
            PrimaryRule::Larger,
            PrimaryRule::First,
        ] {
            let p = plan_modalities(&cat(LARGE), 25, rule, &Template::default_sign());
            assert_eq!(p.total_pairs, 8700);
            let mut seen = std::collections::HashSet::new();
            for b in &p.batches {
                assert!(b.targets.len() <= 25 && !b.targets.is_empty());
                for t in &b.targets {
                    let mut k = [
                        (b.primary_modality.clone(), b.primary_value.clone()),
                        (b.target_modality.clone(), t.clone()),
                    ];
                    k.sort();
                    assert!(seen.insert(k));
                }
            }
            assert_eq!(seen.len(), 8700);
        }
    }

    proptest::proptest! {
        /// Every cross-modality pair is asked exactly once, batches respect
        /// the batch size, and `fewer_calls` is never worse than the others.
        #[test]
        fn covers_every_pair_once(sizes in proptest::collection::vec(0usize..12, 1..5), bs in 1usize..8) {
            let names = ["a", "b", "c", "d", "e"];
            let sz: Vec<(&str, usize)> = sizes.iter().enumerate().map(|(i, n)| (names[i], *n)).collect();
            let c = cat(&sz);
            let mut best = u64::MAX;
            for rule in [PrimaryRule::FewerCalls, PrimaryRule::Larger, PrimaryRule::First] {
                let p = plan_modalities(&c, bs, rule, &Template::default_sign());
                let mut seen = std::collections::HashSet::new();
                for b in &p.batches {
                    proptest::prop_assert!(!b.targets.is_empty() && b.targets.len() <= bs);
                    for t in &b.targets {
                        proptest::prop_assert!(seen.insert((b.primary_value.clone(), t.clone())));
                        proptest::prop_assert!(!seen.contains(&(t.clone(), b.primary_value.clone())));
                    }
                }
                let expected: usize = (0..sz.len())
                    .flat_map(|i| (i + 1..sz.len()).map(move |j| (i, j)))
                    .map(|(i, j)| sz[i].1 * sz[j].1)
                    .sum();
                proptest::prop_assert_eq!(seen.len(), expected);
                if rule == PrimaryRule::FewerCalls {
                    best = p.total_calls;
                } else {
                    proptest::prop_assert!(best <= p.total_calls);
                }
            }
        }
    }
}
