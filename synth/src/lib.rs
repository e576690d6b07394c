//! Deterministic synthetic signed graphs with latent group structure.
//!
//! A dev-only crate (`publish = false`): used for the checked-in fixtures (`fixtures/large`,
//! `fixtures/real746`, rewritten by `cargo run -p valence-synth --example gen_fixtures`), tests and
//! benchmarks; the engine and the `valence` facade do not contain it. It is
//! deliberately independent of the engine's graph types: a [`SynthGraph`] is plain vectors, written out
//! with [`write_catalogue_csv`] and [`write_edges_csv`] in the formats the engine imports.
//!
//! # Model
//! Every attribute belongs to a *group* within its modality (brands: luxury fashion, sportswear, B2B
//! software...). Every group has a small trait vector (price tier, youth, sport, business, beauty,
//! climate, tech, family, food, culture); named groups carry hand-set traits, so that e.g. luxury
//! brands and budget audiences conflict, generic groups get random ones. An attribute's traits are its
//! group's plus a little member noise. The score of a cross-modality pair is
//! `traits(a) · traits(b) + jitter(group(a), group(b)) + noise(a, b)`: the group-pair jitter is one draw
//! per group pair (so a whole block moves together) and the per-pair noise is small. Within each
//! modality pair the top `pos` fraction of pairs by score become positive edges and the bottom `neg`
//! fraction negative edges; the rest are neutral (absent). Densities are therefore hit exactly (up to
//! rounding) and members of a group behave alike.
//!
//! # Determinism
//! Everything derives from `SynthSpec::seed` through ChaCha8 (a portable stream) and a splitmix64 hash
//! for per-pair noise. Normal deviates are Irwin-Hall sums of uniforms, so only `+ - * /` and `sqrt`
//! (all correctly rounded in IEEE 754) touch the floats: the output is byte-identical on every platform.

#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// Number of latent trait dimensions.
const DIMS: usize = 10;
type Traits = [f64; DIMS];

const PRICE: usize = 0; // + luxury / premium, - budget
const YOUTH: usize = 1; // + young, - older
const SPORT: usize = 2;
const BIZ: usize = 3; // business, B2B, professional
const BEAUTY: usize = 4; // beauty, fashion, female-skewed
const COLD: usize = 5; // + cold / winter / outdoor, - warm / beach
const TECH: usize = 6; // tech, gaming, digital
const FAMILY: usize = 7; // home, family, kids
const FOOD: usize = 8; // food, drink, nightlife
const CULTURE: usize = 9; // entertainment, music, pop culture

/// Pairs of modalities with at most this many attribute pairs are thresholded exactly (sort);
/// larger ones use thresholds estimated on a deterministic sample of pairs.
const EXACT_PAIR_LIMIT: usize = 4_000_000;
const THRESHOLD_SAMPLE: usize = 400_000;

/// Target densities for one unordered pair of modalities (overrides the spec's global densities).
#[derive(Clone, Debug, PartialEq)]
pub struct PairDensity {
    pub a: String,
    pub b: String,
    /// Fraction of the `|a| * |b|` attribute pairs that become positive edges.
    pub pos: f64,
    /// Fraction that become negative edges.
    pub neg: f64,
}

impl PairDensity {
    pub fn new(a: &str, b: &str, pos: f64, neg: f64) -> PairDensity {
        PairDensity {
            a: a.to_string(),
            b: b.to_string(),
            pos,
            neg,
        }
    }
}

/// What to generate. Build one with [`report_like_746`], [`report_large_160`], [`scaled`] or by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthSpec {
    /// Modality names and attribute counts, in catalogue order.
    pub modalities: Vec<(String, usize)>,
    /// Default fraction of cross-modality pairs that are positive edges.
    pub pos_density: f64,
    /// Default fraction of cross-modality pairs that are negative edges.
    pub neg_density: f64,
    /// Default number of latent groups per modality (capped at the modality size).
    pub groups_per_modality: usize,
    pub seed: u64,
    /// Per-modality group counts overriding `groups_per_modality`.
    pub group_counts: Vec<(String, usize)>,
    /// Per-modality-pair densities overriding `pos_density` / `neg_density`.
    pub pair_densities: Vec<PairDensity>,
    /// Standard deviation of an attribute's traits around its group's (0.12 default).
    pub member_spread: f64,
    /// Standard deviation of the per-group-pair affinity offset (0.25 default).
    pub group_jitter: f64,
    /// Standard deviation of the per-attribute-pair noise (0.12 default).
    pub edge_noise: f64,
}

impl SynthSpec {
    /// A spec with default noise levels and no overrides.
    pub fn new(modalities: &[(&str, usize)], pos: f64, neg: f64, groups: usize, seed: u64) -> Self {
        SynthSpec {
            modalities: modalities
                .iter()
                .map(|(m, n)| (m.to_string(), *n))
                .collect(),
            pos_density: pos,
            neg_density: neg,
            groups_per_modality: groups,
            seed,
            group_counts: Vec::new(),
            pair_densities: Vec::new(),
            member_spread: 0.12,
            group_jitter: 0.25,
            edge_noise: 0.12,
        }
    }

    fn groups_for(&self, modality: &str, n: usize) -> usize {
        let k = self
            .group_counts
            .iter()
            .find(|(m, _)| m == modality)
            .map_or(self.groups_per_modality, |(_, k)| *k);
        k.clamp(1, n.max(1))
    }

    fn densities_for(&self, a: &str, b: &str) -> (f64, f64) {
        self.pair_densities
            .iter()
            .find(|d| (d.a == a && d.b == b) || (d.a == b && d.b == a))
            .map_or((self.pos_density, self.neg_density), |d| (d.pos, d.neg))
    }
}

/// A generated graph: nodes in modality order, edges `(a, b, positive)` with `a < b`, sorted.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthGraph {
    /// `(modality, value)` per node id.
    pub nodes: Vec<(String, String)>,
    /// `(a, b, true = positive)`, `a < b`, no duplicates, always across two modalities.
    pub edges: Vec<(u32, u32, bool)>,
    /// Latent group label per node id (also written as the catalogue description).
    pub groups: Vec<String>,
}

impl SynthGraph {
    /// `(positive, negative)` edge counts.
    pub fn edge_counts(&self) -> (usize, usize) {
        let pos = self.edges.iter().filter(|e| e.2).count();
        (pos, self.edges.len() - pos)
    }

    /// Modality names in first-seen order.
    pub fn modalities(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (m, _) in &self.nodes {
            if out.last() != Some(m) && !out.contains(m) {
                out.push(m.clone());
            }
        }
        out
    }

    /// The same graph as an engine [`SignedGraph`](valence_engine::SignedGraph), node ids unchanged (no CSV
    /// round trip; for tests and benchmarks).
    pub fn to_signed_graph(&self) -> valence_engine::Result<valence_engine::SignedGraph> {
        let mut b = valence_engine::GraphBuilder::new();
        for (m, v) in &self.nodes {
            b.add_node(m, v);
        }
        for &(x, y, positive) in &self.edges {
            let sign = if positive {
                valence_engine::Sign::Pos
            } else {
                valence_engine::Sign::Neg
            };
            b.add_edge(x, y, sign)?;
        }
        Ok(b.build())
    }

    /// Number of unordered node pairs across different modalities.
    pub fn cross_pairs(&self) -> u64 {
        let mut sizes: HashMap<&str, u64> = HashMap::new();
        for (m, _) in &self.nodes {
            *sizes.entry(m.as_str()).or_default() += 1;
        }
        let n = self.nodes.len() as u64;
        let same: u64 = sizes.values().map(|s| s * s).sum();
        (n * n - same) / 2
    }
}

/// Generates the graph described by `spec`. Same spec, same graph, on every platform.
pub fn generate(spec: &SynthSpec) -> SynthGraph {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut nodes = Vec::new();
    let mut groups = Vec::new();
    let mut node_traits: Vec<Traits> = Vec::new();
    let mut node_group: Vec<usize> = Vec::new(); // global group id
    let mut modality_groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut modality_nodes: Vec<std::ops::Range<usize>> = Vec::new();
    let mut group_count = 0usize;

    for (modality, n) in &spec.modalities {
        let n = *n;
        let k = spec.groups_for(modality, n);
        let pool = pool_for(modality);
        let templates: Vec<GroupTemplate> = (0..k)
            .map(|g| match pool.get(g) {
                Some(p) => GroupTemplate {
                    label: p.label.to_string(),
                    traits: p.traits(),
                    names: p.names,
                },
                None => GroupTemplate {
                    label: format!("{} Segment {}", title_case(modality), g + 1),
                    traits: random_traits(&mut rng),
                    names: &[],
                },
            })
            .collect();
        let sizes = allocate(n, &templates);
        let first_node = nodes.len();
        let mut taken: HashSet<String> = HashSet::new();
        for (g, (template, size)) in templates.iter().zip(sizes).enumerate() {
            for i in 0..size {
                let base = match template.names.get(i) {
                    Some(name) => name.to_string(),
                    None => format!("{} {}", template.label, i + 1),
                };
                let value = unique_value(base, &template.label, &mut taken);
                let mut t = template.traits;
                for x in t.iter_mut() {
                    *x += spec.member_spread * gauss(&mut rng);
                }
                nodes.push((modality.clone(), value));
                groups.push(template.label.clone());
                node_traits.push(t);
                node_group.push(group_count + g);
            }
        }
        modality_groups.push(group_count..group_count + k);
        modality_nodes.push(first_node..nodes.len());
        group_count += k;
    }

    // One affinity offset per cross-modality group pair, drawn in a fixed order.
    let mut jitter = vec![0.0f64; group_count * group_count];
    for i in 0..modality_groups.len() {
        for j in i + 1..modality_groups.len() {
            for ga in modality_groups[i].clone() {
                for gb in modality_groups[j].clone() {
                    let v = spec.group_jitter * gauss(&mut rng);
                    jitter[ga * group_count + gb] = v;
                    jitter[gb * group_count + ga] = v;
                }
            }
        }
    }

    let score = |a: usize, b: usize| -> f64 {
        let dot: f64 = node_traits[a]
            .iter()
            .zip(&node_traits[b])
            .map(|(x, y)| x * y)
            .sum();
        dot + jitter[node_group[a] * group_count + node_group[b]]
            + spec.edge_noise * hash_gauss(spec.seed, a as u64, b as u64)
    };

    let mut edges: Vec<(u32, u32, bool)> = Vec::new();
    for i in 0..spec.modalities.len() {
        for j in i + 1..spec.modalities.len() {
            let (pos, neg) = spec.densities_for(&spec.modalities[i].0, &spec.modalities[j].0);
            let ra = modality_nodes[i].clone();
            let rb = modality_nodes[j].clone();
            let total = ra.len() * rb.len();
            if total == 0 {
                continue;
            }
            let want_pos = ((pos.clamp(0.0, 1.0) * total as f64).round() as usize).min(total);
            let want_neg =
                ((neg.clamp(0.0, 1.0) * total as f64).round() as usize).min(total - want_pos);
            if total <= EXACT_PAIR_LIMIT {
                let mut scored: Vec<(f64, u32, u32)> = Vec::with_capacity(total);
                for a in ra.clone() {
                    for b in rb.clone() {
                        scored.push((score(a, b), a as u32, b as u32));
                    }
                }
                // Highest score first; ties by node ids so the order is total.
                scored.sort_unstable_by(|x, y| {
                    y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2))
                });
                edges.extend(scored[..want_pos].iter().map(|s| (s.1, s.2, true)));
                edges.extend(scored[total - want_neg..].iter().map(|s| (s.1, s.2, false)));
            } else {
                // Estimate both thresholds on a deterministic sample of pairs, then sweep.
                let mut sample: Vec<f64> = (0..THRESHOLD_SAMPLE as u64)
                    .map(|s| {
                        let h = splitmix64(spec.seed ^ 0x5eed_0000 ^ s.wrapping_mul(0x9e37));
                        let a = ra.start + (h % ra.len() as u64) as usize;
                        let b = rb.start + ((h >> 32) % rb.len() as u64) as usize;
                        score(a, b)
                    })
                    .collect();
                sample.sort_unstable_by(|x, y| y.total_cmp(x));
                let at = |frac: f64| {
                    let idx = (frac * sample.len() as f64) as usize;
                    sample[idx.min(sample.len() - 1)]
                };
                let pos_cut = if want_pos == 0 {
                    f64::INFINITY
                } else {
                    at(want_pos as f64 / total as f64)
                };
                let neg_cut = if want_neg == 0 {
                    f64::NEG_INFINITY
                } else {
                    at(1.0 - want_neg as f64 / total as f64)
                };
                for a in ra.clone() {
                    for b in rb.clone() {
                        let s = score(a, b);
                        if s > pos_cut {
                            edges.push((a as u32, b as u32, true));
                        } else if s < neg_cut {
                            edges.push((a as u32, b as u32, false));
                        }
                    }
                }
            }
        }
    }
    edges.sort_unstable_by_key(|e| (e.0, e.1));
    SynthGraph {
        nodes,
        edges,
        groups,
    }
}

/// Writes `modality,value,description` (the description is the latent group label).
pub fn write_catalogue_csv(g: &SynthGraph, path: impl AsRef<Path>) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record(["modality", "value", "description"])
        .map_err(io::Error::other)?;
    for ((modality, value), group) in g.nodes.iter().zip(&g.groups) {
        w.write_record([modality.as_str(), value.as_str(), group.as_str()])
            .map_err(io::Error::other)?;
    }
    w.flush()
}

/// Writes `source,target,rel,sign` with `rel = <source modality>_to_<target modality>`; the source is
/// the endpoint whose modality comes first in the catalogue.
pub fn write_edges_csv(g: &SynthGraph, path: impl AsRef<Path>) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(io::Error::other)?;
    w.write_record(["source", "target", "rel", "sign"])
        .map_err(io::Error::other)?;
    for &(a, b, positive) in &g.edges {
        let (ma, va) = &g.nodes[a as usize];
        let (mb, vb) = &g.nodes[b as usize];
        let rel = format!("{ma}_to_{mb}");
        let sign = if positive { "+" } else { "-" };
        w.write_record([va.as_str(), vb.as_str(), rel.as_str(), sign])
            .map_err(io::Error::other)?;
    }
    w.flush()
}

/// The report's real graph (section 8.2): 746 nodes over 10 modalities, ~36,420 positive and
/// ~40,629 negative edges, uniform densities over all modality pairs.
pub fn report_like_746(seed: u64) -> SynthSpec {
    let mut spec = SynthSpec::new(&REAL746_SIZES, 0.0, 0.0, 4, seed);
    let n: usize = REAL746_SIZES.iter().map(|m| m.1).sum();
    let same: usize = REAL746_SIZES.iter().map(|m| m.1 * m.1).sum();
    let pairs = ((n * n - same) / 2) as f64;
    // gender-generation x interest pairs get 70% of the positive density (see below); the other
    // pairs make up the difference so the graph total stays at 36,420.
    let gi = (10 * 330) as f64;
    let d0 = 36_420.0 / pairs;
    spec.pos_density = (36_420.0 - 0.7 * d0 * gi) / (pairs - gi);
    spec.neg_density = 40_629.0 / pairs;
    spec.group_counts = REAL746_GROUPS
        .iter()
        .map(|(m, k)| (m.to_string(), *k))
        .collect();
    // Pairs with the ten gender/generation values weigh heavily in 20-node rows; the report's rows
    // show slightly fewer positives there than the graph-wide density.
    spec.pair_densities = vec![PairDensity::new(
        "gender-generation",
        "interest-and-other-attributes",
        d0 * 0.7,
        spec.neg_density,
    )];
    spec
}

/// Attribute counts of the `real746` fixture (sum 746). See `fixtures/README.md`.
pub const REAL746_SIZES: [(&str, usize); 10] = [
    ("brand", 150),
    ("campaign-objective", 12),
    ("campaign-buying-type", 3),
    ("platform", 30),
    ("device", 15),
    ("geo", 180),
    ("gender-generation", 10),
    ("interest-and-other-attributes", 330),
    ("media-buy-billing-event", 8),
    ("media-buy-cost-model", 8),
];

const REAL746_GROUPS: [(&str, usize); 10] = [
    ("brand", 15),
    ("campaign-objective", 3),
    ("campaign-buying-type", 2),
    ("platform", 6),
    ("device", 4),
    ("geo", 11),
    ("gender-generation", 4),
    ("interest-and-other-attributes", 20),
    ("media-buy-billing-event", 3),
    ("media-buy-cost-model", 3),
];

/// Example row quotas for `real746` diagnostics (about 20 nodes per row, after the report's 8.2 row).
pub const REAL746_QUOTAS: [(&str, usize, usize); 10] = [
    ("brand", 1, 1),
    ("campaign-objective", 1, 1),
    ("campaign-buying-type", 1, 1),
    ("platform", 1, 1),
    ("device", 1, 1),
    ("geo", 1, 3),
    ("gender-generation", 4, 8),
    ("interest-and-other-attributes", 3, 7),
    ("media-buy-billing-event", 1, 1),
    ("media-buy-cost-model", 1, 1),
];

/// The report's large catalogue (sections 7.2 and 7.3): 60 brands, 60 audiences, 10 platforms and
/// 30 countries; ~4,092 positive and ~557 negative edges over the 8,700 cross-modality pairs.
pub fn report_large_160(seed: u64) -> SynthSpec {
    let mut spec = SynthSpec::new(
        &[
            ("brand", 60),
            ("audience", 60),
            ("platform", 10),
            ("geo", 30),
        ],
        0.0,
        0.0,
        10,
        seed,
    );
    spec.group_counts = vec![("platform".into(), 5), ("geo".into(), 6)];
    // Brand-audience and brand-market fit is where an LLM sees signal; audience-geo pairs are
    // mostly neutral. Counts: 2550+300+810+180+102+150 = 4092 positive, 480+30+20+6+18+3 = 557
    // negative; this split puts the 7.3 diagnostic (pos_frac ~0.36, neg_frac ~0.04) in reach.
    spec.pair_densities = vec![
        PairDensity::new("brand", "audience", 2550.0 / 3600.0, 480.0 / 3600.0),
        PairDensity::new("brand", "platform", 300.0 / 600.0, 30.0 / 600.0),
        PairDensity::new("brand", "geo", 810.0 / 1800.0, 20.0 / 1800.0),
        PairDensity::new("audience", "platform", 180.0 / 600.0, 6.0 / 600.0),
        PairDensity::new("audience", "geo", 102.0 / 1800.0, 18.0 / 1800.0),
        PairDensity::new("platform", "geo", 150.0 / 300.0, 3.0 / 300.0),
    ];
    spec
}

/// Seed of the checked-in `fixtures/large` (see `examples/gen_fixtures.rs`).
pub const LARGE_SEED: u64 = 160;
/// Seed of the checked-in `fixtures/real746`.
pub const REAL746_SEED: u64 = 746;

/// Diagnostic quotas of the report's section 7.3 for the large catalogue.
pub const LARGE_QUOTAS: [(&str, usize, usize); 4] = [
    ("brand", 1, 1),
    ("audience", 2, 4),
    ("platform", 1, 1),
    ("geo", 1, 2),
];

/// The `real746` shape scaled to `total_nodes` (same 10 modalities, sizes in proportion, at least one
/// node each) with the same expected number of edges per node, so densities fall as 746 / total.
pub fn scaled(total_nodes: usize, seed: u64) -> SynthSpec {
    let base = report_like_746(seed);
    let factor = total_nodes as f64 / 746.0;
    let mut sizes: Vec<(String, usize)> = REAL746_SIZES
        .iter()
        .map(|(m, n)| {
            (
                m.to_string(),
                ((*n as f64 * factor).floor() as usize).max(1),
            )
        })
        .collect();
    // Give the rounding remainder to the largest modality so the total is exact.
    let sum: usize = sizes.iter().map(|s| s.1).sum();
    if let Some(big) = sizes.iter_mut().max_by_key(|s| s.1) {
        big.1 = (big.1 + total_nodes).saturating_sub(sum).max(1);
    }
    let dilute = (1.0 / factor).min(1.0);
    let group_scale = factor.sqrt().max(1.0);
    SynthSpec {
        modalities: sizes,
        pos_density: base.pos_density * dilute,
        neg_density: base.neg_density * dilute,
        group_counts: base
            .group_counts
            .iter()
            .map(|(m, k)| (m.clone(), (*k as f64 * group_scale).round() as usize))
            .collect(),
        pair_densities: base
            .pair_densities
            .iter()
            .map(|d| PairDensity::new(&d.a, &d.b, d.pos * dilute, d.neg * dilute))
            .collect(),
        ..base
    }
}

/// Distribution of edge fractions over random rows (the report's density diagnostic).
#[derive(Clone, Debug, PartialEq)]
pub struct FracStats {
    pub samples: usize,
    pub pos_mean: f64,
    pub neg_mean: f64,
    pub absent_mean: f64,
    /// p5, p25, p50, p75, p95 of `pos_frac`.
    pub pos_pct: [f64; 5],
    /// p5, p25, p50, p75, p95 of `neg_frac`.
    pub neg_pct: [f64; 5],
}

/// Samples `samples` rows with `quotas` (modality, min, max; count uniform in `[min, max]`, nodes
/// uniform without replacement) and measures positive / negative fractions of the cross-modality
/// pairs of each row. A quick, independent check of the engine's `DIAGNOSE`.
pub fn edge_fraction_stats(
    g: &SynthGraph,
    quotas: &[(&str, usize, usize)],
    samples: usize,
    seed: u64,
) -> FracStats {
    let mut sign: HashMap<(u32, u32), bool> = HashMap::with_capacity(g.edges.len());
    for &(a, b, s) in &g.edges {
        sign.insert((a, b), s);
    }
    let by_modality: Vec<Vec<u32>> = quotas
        .iter()
        .map(|(m, _, _)| {
            (0..g.nodes.len() as u32)
                .filter(|&i| g.nodes[i as usize].0 == *m)
                .collect()
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pos_f = Vec::with_capacity(samples);
    let mut neg_f = Vec::with_capacity(samples);
    for _ in 0..samples {
        let mut row: Vec<(usize, u32)> = Vec::new();
        for (qi, (_, lo, hi)) in quotas.iter().enumerate() {
            let pool = &by_modality[qi];
            let span = (hi.saturating_sub(*lo) + 1) as u64;
            let count = (lo + (rng.next_u64() % span) as usize).min(pool.len());
            // Partial Fisher-Yates over a copy: fine for diagnostics.
            let mut p = pool.clone();
            for i in 0..count {
                let j = i + (rng.next_u64() % (p.len() - i) as u64) as usize;
                p.swap(i, j);
                row.push((qi, p[i]));
            }
        }
        let (mut pairs, mut pos, mut neg) = (0u32, 0u32, 0u32);
        for x in 0..row.len() {
            for y in x + 1..row.len() {
                if row[x].0 == row[y].0 {
                    continue;
                }
                pairs += 1;
                let key = (row[x].1.min(row[y].1), row[x].1.max(row[y].1));
                match sign.get(&key) {
                    Some(true) => pos += 1,
                    Some(false) => neg += 1,
                    None => {}
                }
            }
        }
        if pairs > 0 {
            pos_f.push(pos as f64 / pairs as f64);
            neg_f.push(neg as f64 / pairs as f64);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let pct = |v: &mut Vec<f64>| {
        v.sort_unstable_by(f64::total_cmp);
        let q = |p: f64| {
            if v.is_empty() {
                0.0
            } else {
                v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)]
            }
        };
        [q(0.05), q(0.25), q(0.5), q(0.75), q(0.95)]
    };
    let (pm, nm) = (mean(&pos_f), mean(&neg_f));
    FracStats {
        samples: pos_f.len(),
        pos_mean: pm,
        neg_mean: nm,
        absent_mean: 1.0 - pm - nm,
        pos_pct: pct(&mut pos_f),
        neg_pct: pct(&mut neg_f),
    }
}

// ---------------------------------------------------------------------------------------------
// Internals

struct GroupTemplate {
    label: String,
    traits: Traits,
    names: &'static [&'static str],
}

/// Group sizes: proportional to the template's name-list length (generic groups weigh like the
/// average named one), largest remainder, at least one member per group when `n >= k`.
fn allocate(n: usize, templates: &[GroupTemplate]) -> Vec<usize> {
    let k = templates.len();
    if k == 0 {
        return Vec::new();
    }
    let named: Vec<usize> = templates
        .iter()
        .map(|t| t.names.len())
        .filter(|&l| l > 0)
        .collect();
    let generic = if named.is_empty() {
        1
    } else {
        (named.iter().sum::<usize>() / named.len()).max(1)
    };
    let weights: Vec<usize> = templates
        .iter()
        .map(|t| {
            if t.names.is_empty() {
                generic
            } else {
                t.names.len()
            }
        })
        .collect();
    let total: usize = weights.iter().sum();
    let mut sizes: Vec<usize> = weights.iter().map(|w| n * w / total).collect();
    let mut rem: Vec<(usize, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| ((n * w) % total, i))
        .collect();
    rem.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let missing = n - sizes.iter().sum::<usize>();
    for &(_, i) in rem.iter().take(missing) {
        sizes[i] += 1;
    }
    // Every group gets a member if possible: take from the largest.
    if n >= k {
        while let Some(empty) = sizes.iter().position(|&s| s == 0) {
            let (big, _) = sizes
                .iter()
                .enumerate()
                .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(&x.0)))
                .unwrap_or((0, &0));
            sizes[big] -= 1;
            sizes[empty] += 1;
        }
    }
    sizes
}

fn unique_value(base: String, label: &str, taken: &mut HashSet<String>) -> String {
    if taken.insert(base.clone()) {
        return base;
    }
    let alt = format!("{base} ({label})");
    if taken.insert(alt.clone()) {
        return alt;
    }
    let mut i = 2;
    loop {
        let v = format!("{base} {i}");
        if taken.insert(v.clone()) {
            return v;
        }
        i += 1;
    }
}

fn title_case(s: &str) -> String {
    s.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Approximately standard normal: Irwin-Hall sum of four uniforms, rescaled (portable arithmetic).
fn irwin_hall(u: [f64; 4]) -> f64 {
    (u[0] + u[1] + u[2] + u[3] - 2.0) * 3.0f64.sqrt()
}

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    irwin_hall([
        unit(rng.next_u64()),
        unit(rng.next_u64()),
        unit(rng.next_u64()),
        unit(rng.next_u64()),
    ])
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Per-pair noise that does not depend on iteration order.
fn hash_gauss(seed: u64, a: u64, b: u64) -> f64 {
    let h = splitmix64(seed ^ splitmix64(a.wrapping_mul(0x1_0000_0001) ^ (b << 21) ^ b));
    let h2 = splitmix64(h);
    let h3 = splitmix64(h2);
    let h4 = splitmix64(h3);
    irwin_hall([unit(h), unit(h2), unit(h3), unit(h4)])
}

fn random_traits(rng: &mut ChaCha8Rng) -> Traits {
    let mut t = [0.0; DIMS];
    for x in t.iter_mut() {
        *x = 0.45 * gauss(rng);
    }
    t
}

mod pools;
use pools::pool_for;

#[cfg(test)]
mod tests;
