//! Deterministic synthetic signed graphs with latent group structure.
//!
//! Used for the checked-in fixtures (`fixtures/large`, `fixtures/real746`), tests and benchmarks. It is
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

    /// The same graph as an engine [`SignedGraph`](crate::SignedGraph), node ids unchanged (no CSV
    /// round trip; for tests and benchmarks).
    pub fn to_signed_graph(&self) -> crate::Result<crate::SignedGraph> {
        let mut b = crate::GraphBuilder::new();
        for (m, v) in &self.nodes {
            b.add_node(m, v);
        }
        for &(x, y, positive) in &self.edges {
            let sign = if positive {
                crate::Sign::Pos
            } else {
                crate::Sign::Neg
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

struct PoolGroup {
    label: &'static str,
    traits: &'static [(usize, f64)],
    names: &'static [&'static str],
}

impl PoolGroup {
    fn traits(&self) -> Traits {
        let mut t = [0.0; DIMS];
        for &(d, v) in self.traits {
            t[d] = v;
        }
        t
    }
}

macro_rules! group {
    ($label:expr, [$(($d:expr, $v:expr)),* $(,)?], [$($name:expr),* $(,)?]) => {
        PoolGroup { label: $label, traits: &[$(($d, $v)),*], names: &[$($name),*] }
    };
}

fn pool_for(modality: &str) -> &'static [PoolGroup] {
    match modality {
        "brand" => BRANDS,
        "audience" => AUDIENCES,
        "platform" => PLATFORMS,
        "geo" => GEOS,
        "interest-and-other-attributes" | "interest" => INTERESTS,
        "campaign-objective" => OBJECTIVES,
        "campaign-buying-type" => BUYING_TYPES,
        "device" => DEVICES,
        "gender-generation" => GENDER_GENERATION,
        "media-buy-billing-event" => BILLING_EVENTS,
        "media-buy-cost-model" => COST_MODELS,
        _ => &[],
    }
}

#[rustfmt::skip]
static BRANDS: &[PoolGroup] = &[
    group!("Luxury Fashion Houses", [(PRICE, 1.0), (YOUTH, -0.2), (BEAUTY, 0.9), (CULTURE, 0.3)],
        ["Dior", "Chanel", "Gucci", "Prada", "Louis Vuitton", "Hermes", "Burberry", "Versace",
         "Balenciaga", "Fendi"]),
    group!("Luxury Watches and Jewellery", [(PRICE, 1.0), (YOUTH, -0.5), (BIZ, 0.4), (BEAUTY, 0.4)],
        ["Rolex", "Cartier", "Omega", "Tiffany & Co.", "Patek Philippe", "TAG Heuer", "Bulgari",
         "Audemars Piguet", "Breitling", "Van Cleef & Arpels"]),
    group!("Sportswear", [(SPORT, 1.0), (YOUTH, 0.6), (PRICE, 0.1), (BIZ, -0.3)],
        ["Nike", "Adidas", "Puma", "Under Armour", "New Balance", "Asics", "Reebok", "Lululemon",
         "Fila", "Mizuno"]),
    group!("Outdoor and Winter Gear", [(COLD, 1.0), (SPORT, 0.6), (PRICE, 0.3), (YOUTH, 0.1)],
        ["The North Face", "Patagonia", "Columbia", "Arc'teryx", "Salomon", "Canada Goose",
         "Helly Hansen", "Mammut", "Burton", "Fjallraven"]),
    group!("Beach and Casual Footwear", [(COLD, -0.9), (YOUTH, 0.7), (CULTURE, 0.3), (PRICE, -0.2), (BIZ, -0.4)],
        ["Havaianas", "Vans", "Converse", "Crocs", "Quiksilver", "Billabong", "Roxy", "Birkenstock",
         "Rip Curl", "O'Neill"]),
    group!("B2B Software", [(BIZ, 1.0), (TECH, 0.7), (YOUTH, -0.5), (CULTURE, -0.5), (BEAUTY, -0.3), (FAMILY, -0.3), (SPORT, -0.3)],
        ["Salesforce", "Oracle", "SAP", "Workday", "ServiceNow", "Slack", "Atlassian", "HubSpot",
         "Zoom", "Cisco"]),
    group!("Beverages and Energy Drinks", [(FOOD, 1.0), (YOUTH, 0.6), (SPORT, 0.4), (CULTURE, 0.4), (BIZ, -0.1)],
        ["Red Bull", "Monster Energy", "Coca-Cola", "Pepsi", "Gatorade", "Heineken", "Sprite",
         "Corona", "Aperol", "Fanta"]),
    group!("Beauty and Cosmetics", [(BEAUTY, 1.0), (YOUTH, 0.3), (PRICE, 0.2), (SPORT, -0.2), (BIZ, -0.3)],
        ["Sephora", "L'Oreal", "Maybelline", "MAC Cosmetics", "Estee Lauder", "Fenty Beauty",
         "Clinique", "Glossier", "NYX", "Lancome"]),
    group!("Budget Retail", [(PRICE, -1.0), (FAMILY, 0.5), (YOUTH, 0.1)],
        ["Walmart", "Primark", "Shein", "Temu", "Aldi", "Lidl", "Dollar General", "Target", "Kmart",
         "Five Below"]),
    group!("Consumer Electronics and Gaming", [(TECH, 1.0), (YOUTH, 0.5), (CULTURE, 0.4)],
        ["Apple", "Samsung", "PlayStation", "Xbox", "Nintendo", "Razer", "Logitech", "Xiaomi",
         "Bose", "Nvidia"]),
    group!("Automotive", [(PRICE, 0.5), (BIZ, 0.3), (FAMILY, 0.3), (YOUTH, -0.3), (TECH, 0.3)],
        ["Tesla", "BMW", "Mercedes-Benz", "Toyota", "Ford", "Porsche", "Volkswagen", "Audi", "Honda",
         "Volvo"]),
    group!("Fast Food and Delivery", [(FOOD, 1.0), (PRICE, -0.5), (YOUTH, 0.5), (FAMILY, 0.4), (BEAUTY, -0.3)],
        ["McDonald's", "Burger King", "KFC", "Domino's", "Subway", "Taco Bell", "Starbucks",
         "Uber Eats", "DoorDash", "Deliveroo"]),
    group!("Travel and Hospitality", [(CULTURE, 0.5), (PRICE, 0.3), (COLD, -0.4), (FAMILY, 0.3)],
        ["Marriott", "Airbnb", "Booking.com", "Expedia", "Hilton", "Emirates", "Ryanair", "Delta",
         "Lufthansa", "Hyatt"]),
    group!("Financial Services", [(BIZ, 0.8), (PRICE, 0.3), (TECH, 0.4), (YOUTH, -0.2)],
        ["Visa", "Mastercard", "American Express", "PayPal", "Revolut", "HSBC", "JPMorgan Chase",
         "Klarna", "Stripe", "Goldman Sachs"]),
    group!("Streaming and Entertainment", [(CULTURE, 1.0), (YOUTH, 0.5), (TECH, 0.3), (FAMILY, 0.2)],
        ["Netflix", "Spotify", "Disney+", "HBO Max", "Paramount+", "Warner Bros", "Universal Music",
         "Live Nation", "Ticketmaster", "Crunchyroll"]),
];

#[rustfmt::skip]
static AUDIENCES: &[PoolGroup] = &[
    group!("Athletes and Fitness", [(SPORT, 1.0), (YOUTH, 0.4), (FOOD, 0.2)],
        ["Athletes", "Fitness Enthusiasts", "Runners", "Gym Goers", "Yoga Practitioners", "Cyclists",
         "Marathon Runners", "CrossFit Fans"]),
    group!("Winter and Outdoor", [(COLD, 1.0), (SPORT, 0.6)],
        ["Winter Sports Enthusiasts", "Skiers", "Snowboarders", "Hikers", "Campers", "Mountaineers",
         "Anglers", "Trail Runners"]),
    group!("Budget Shoppers", [(PRICE, -1.0), (FAMILY, 0.3)],
        ["Budget Shoppers", "Coupon Clippers", "Bargain Hunters", "Discount Seekers",
         "Students on a Budget", "Value-Conscious Families", "Thrift Shoppers", "Price Comparers"]),
    group!("Luxury Shoppers", [(PRICE, 1.0), (YOUTH, -0.3), (BEAUTY, 0.4)],
        ["Luxury Shoppers", "High Net Worth Individuals", "Designer Fashion Buyers",
         "Fine Jewellery Collectors", "Luxury Travellers", "Watch Collectors", "Art Collectors",
         "Yacht Owners"]),
    group!("Beauty and Fashion", [(BEAUTY, 1.0), (YOUTH, 0.4), (BIZ, -0.2)],
        ["Beauty Enthusiasts", "Women 18-34", "Skincare Fans", "Fashionistas", "Makeup Artists",
         "Fragrance Lovers", "Nail Art Fans", "Hair Care Enthusiasts"]),
    group!("Business Professionals", [(BIZ, 1.0), (YOUTH, -0.4), (TECH, 0.6), (PRICE, 0.3), (CULTURE, -0.3)],
        ["C-Suite Executives", "IT Decision Makers", "Small Business Owners", "Sales Professionals",
         "HR Managers", "Startup Founders", "Procurement Managers", "Marketing Managers"]),
    group!("Gamers and Tech", [(TECH, 1.0), (YOUTH, 0.8), (BIZ, -0.2)],
        ["Gamers", "Esports Fans", "Tech Early Adopters", "PC Builders", "Mobile Gamers",
         "Console Gamers", "Streamers", "VR Enthusiasts"]),
    group!("Pop Culture and Music", [(CULTURE, 1.0), (YOUTH, 0.8), (BIZ, -0.4)],
        ["K-Pop Fans", "Music Festival Goers", "Anime Fans", "Movie Buffs", "Concert Goers",
         "Hip-Hop Fans", "Pop Music Fans", "TV Series Bingers"]),
    group!("Families and Parents", [(FAMILY, 1.0), (YOUTH, -0.3), (PRICE, -0.2), (BIZ, -0.2)],
        ["New Parents", "Families with Young Children", "Stay-at-Home Parents", "Homeowners",
         "Pet Owners", "DIY Enthusiasts", "Home Cooks", "Grandparents"]),
    group!("Beach and Travel", [(COLD, -1.0), (CULTURE, 0.4), (YOUTH, 0.3)],
        ["Beach Lovers", "Surfers", "Backpackers", "Frequent Flyers", "Cruise Travellers",
         "Summer Holidaymakers", "Scuba Divers", "Digital Nomads"]),
    group!("Foodies and Nightlife", [(FOOD, 1.0), (YOUTH, 0.3), (CULTURE, 0.3)],
        ["Foodies", "Craft Beer Fans", "Wine Lovers", "Coffee Lovers", "Party Goers",
         "Fast Food Fans", "Vegan Food Fans", "Cocktail Lovers"]),
    group!("Seniors and Retirees", [(YOUTH, -1.0), (FAMILY, 0.3), (PRICE, 0.2), (TECH, -0.4)],
        ["Retirees", "Seniors 65+", "Golfers", "Gardeners", "Grandparents Travelling",
         "Retirement Planners", "Bird Watchers", "Classic Car Owners"]),
];

#[rustfmt::skip]
static PLATFORMS: &[PoolGroup] = &[
    group!("Short-Video Social", [(YOUTH, 1.0), (CULTURE, 0.6), (BIZ, -0.7), (PRICE, -0.2)],
        ["TikTok", "Snapchat", "YouTube Shorts", "Triller", "Likee"]),
    group!("Visual Social", [(BEAUTY, 0.7), (YOUTH, 0.3), (FAMILY, 0.3), (CULTURE, 0.3)],
        ["Instagram", "Pinterest", "Facebook", "Threads", "Tumblr"]),
    group!("Professional Networks", [(BIZ, 1.0), (YOUTH, -0.3), (CULTURE, -0.3), (SPORT, -0.2)],
        ["LinkedIn", "Xing", "Glassdoor", "Indeed", "Medium"]),
    group!("Discount Marketplaces", [(PRICE, -1.0), (FAMILY, 0.3), (BEAUTY, -0.2)],
        ["Wish", "AliExpress", "Shopee", "Mercado Libre", "Lazada"]),
    group!("Gaming and Live Streaming", [(TECH, 1.0), (YOUTH, 0.9), (BIZ, -0.3)],
        ["Twitch", "Discord", "Steam", "Roblox", "Kick"]),
    group!("Search and Video", [(CULTURE, 0.4), (FAMILY, 0.3), (BIZ, 0.3), (TECH, 0.2)],
        ["Google Search", "YouTube", "Bing", "Reddit", "X"]),
];

#[rustfmt::skip]
static GEOS: &[PoolGroup] = &[
    group!("Nordics and Alpine", [(COLD, 1.0), (PRICE, 0.7), (YOUTH, -0.3), (SPORT, 0.3)],
        ["Norway", "Sweden", "Finland", "Denmark", "Iceland", "Switzerland", "Austria",
         "Liechtenstein", "Andorra"]),
    group!("Western Europe", [(PRICE, 0.5), (BEAUTY, 0.3), (BIZ, 0.3), (CULTURE, 0.2)],
        ["United Kingdom", "France", "Germany", "Italy", "Spain", "Netherlands", "Belgium",
         "Ireland", "Portugal", "Luxembourg", "Monaco", "Malta", "San Marino", "Greece", "Cyprus"]),
    group!("North America and Australasia", [(PRICE, 0.6), (BIZ, 0.6), (TECH, 0.5), (SPORT, 0.3)],
        ["United States", "Canada", "Australia", "New Zealand"]),
    group!("Latin America", [(COLD, -1.0), (YOUTH, 0.5), (CULTURE, 0.4), (PRICE, -0.3), (SPORT, 0.3)],
        ["Brazil", "Mexico", "Argentina", "Colombia", "Chile", "Peru", "Costa Rica", "Ecuador",
         "Uruguay", "Venezuela", "Bolivia", "Paraguay", "Panama", "Guatemala", "Honduras",
         "El Salvador", "Nicaragua"]),
    group!("East Asia", [(TECH, 0.9), (BEAUTY, 0.6), (CULTURE, 0.6), (PRICE, 0.4)],
        ["Japan", "South Korea", "China", "Taiwan", "Hong Kong", "Singapore", "Mongolia", "Macau"]),
    group!("South and Southeast Asia", [(PRICE, -0.6), (YOUTH, 0.7), (COLD, -0.8), (TECH, 0.3)],
        ["India", "Indonesia", "Philippines", "Vietnam", "Thailand", "Malaysia", "Pakistan",
         "Bangladesh", "Sri Lanka", "Nepal", "Cambodia", "Myanmar", "Laos", "Brunei", "Bhutan",
         "Maldives", "Timor-Leste", "Afghanistan"]),
    group!("Middle East", [(PRICE, 0.6), (COLD, -0.9), (BIZ, 0.4), (FOOD, -0.3)],
        ["United Arab Emirates", "Saudi Arabia", "Qatar", "Kuwait", "Israel", "Turkey", "Bahrain",
         "Oman", "Jordan", "Lebanon", "Iraq", "Iran", "Syria", "Yemen"]),
    group!("Africa", [(PRICE, -0.7), (COLD, -1.0), (YOUTH, 0.8), (SPORT, 0.3)],
        ["Nigeria", "Kenya", "South Africa", "Egypt", "Ghana", "Morocco", "Gambia", "Ethiopia",
         "Senegal", "Tanzania", "Uganda", "Algeria", "Tunisia", "Cameroon", "Ivory Coast", "Angola",
         "Mozambique", "Zambia", "Zimbabwe", "Rwanda", "Botswana", "Namibia", "Madagascar", "Mali",
         "Burkina Faso", "Niger", "Chad", "Sudan", "South Sudan", "Somalia", "Libya", "Mauritania",
         "Benin", "Togo", "Sierra Leone", "Liberia", "Guinea", "Guinea-Bissau", "Malawi", "Lesotho",
         "Eswatini", "Gabon", "Republic of the Congo", "DR Congo", "Central African Republic",
         "Equatorial Guinea", "Eritrea", "Djibouti", "Burundi", "Cape Verde", "Comoros", "Mauritius",
         "Seychelles", "Sao Tome and Principe"]),
    group!("Eastern Europe and Central Asia", [(COLD, 0.6), (PRICE, -0.3), (SPORT, 0.2)],
        ["Poland", "Czechia", "Hungary", "Romania", "Ukraine", "Bulgaria", "Serbia", "Slovakia",
         "Croatia", "Slovenia", "Estonia", "Latvia", "Lithuania", "Belarus", "Moldova",
         "Bosnia and Herzegovina", "Albania", "North Macedonia", "Montenegro", "Kosovo", "Russia",
         "Kazakhstan", "Uzbekistan", "Georgia", "Armenia", "Azerbaijan", "Kyrgyzstan", "Tajikistan",
         "Turkmenistan"]),
    group!("Caribbean", [(COLD, -1.0), (CULTURE, 0.5), (PRICE, -0.3), (FOOD, 0.4)],
        ["Jamaica", "Dominican Republic", "Bahamas", "Barbados", "Trinidad and Tobago", "Cuba",
         "Haiti", "Puerto Rico", "Saint Lucia", "Grenada", "Antigua and Barbuda", "Belize",
         "Saint Kitts and Nevis", "Dominica", "Saint Vincent and the Grenadines", "Guyana",
         "Suriname"]),
    group!("Pacific Islands", [(COLD, -1.0), (PRICE, -0.4), (FAMILY, 0.3)],
        ["Fiji", "Papua New Guinea", "Samoa", "Tonga", "Vanuatu", "Solomon Islands", "Kiribati",
         "Micronesia", "Marshall Islands", "Palau", "Tuvalu", "Nauru"]),
];

#[rustfmt::skip]
static INTERESTS: &[PoolGroup] = &[
    group!("Entrepreneurship and Finance", [(BIZ, 1.0), (PRICE, 0.3), (YOUTH, -0.1)],
        ["Entrepreneurship and Sales", "Personal Finance", "Investing and Stock Markets",
         "Real Estate", "Cryptocurrency", "Startups and Venture Capital",
         "Leadership and Management", "Small Business"]),
    group!("Luxury Lifestyle", [(PRICE, 1.0), (YOUTH, -0.3), (BEAUTY, 0.3)],
        ["Luxury German Automobiles", "Supercars", "Luxury Watches", "Yachting", "Fine Dining",
         "Private Aviation", "Luxury Hotels", "Haute Couture"]),
    group!("Fashion and Intimates", [(BEAUTY, 1.0), (YOUTH, 0.4), (PRICE, 0.2)],
        ["Lingerie and Intimate Wear", "Streetwear", "Sneaker Culture", "Vintage Fashion",
         "Sustainable Fashion", "Menswear", "Plus-Size Fashion", "Accessories and Handbags"]),
    group!("Beauty and Wellness", [(BEAUTY, 1.0), (FAMILY, 0.2), (SPORT, 0.2)],
        ["Skincare", "Makeup Tutorials", "Fragrances", "Hair Care", "Spa and Wellness", "Nail Art",
         "Natural Beauty Products", "Anti-Ageing"]),
    group!("Sci-Fi and Geek Culture", [(CULTURE, 0.8), (TECH, 0.5), (YOUTH, 0.5)],
        ["Sci-Fi and Space Exploration", "Comic Books", "Anime and Manga", "Fantasy Novels",
         "Board Games", "Cosplay", "Astronomy", "Tabletop RPGs"]),
    group!("Gaming", [(TECH, 1.0), (YOUTH, 0.9), (BIZ, -0.3)],
        ["Video Games", "Esports", "Mobile Games", "PC Gaming Hardware", "Retro Gaming",
         "Game Streaming", "Virtual Reality", "Strategy Games"]),
    group!("Weddings and Family", [(FAMILY, 1.0), (YOUTH, -0.1), (BEAUTY, 0.2)],
        ["Weddings and Marriage", "Parenting", "Pregnancy and Babies", "Home Decor",
         "Family Holidays", "Pets and Animals", "Gardening", "Home Improvement"]),
    group!("Sports and Fitness", [(SPORT, 1.0), (YOUTH, 0.4)],
        ["Running", "Football (Soccer)", "Basketball", "Yoga", "Weight Training", "Cycling",
         "Tennis", "Martial Arts"]),
    group!("Outdoor and Winter", [(COLD, 1.0), (SPORT, 0.6)],
        ["Skiing and Snowboarding", "Hiking and Trekking", "Camping", "Mountain Climbing",
         "Fishing", "Hunting", "Ice Hockey", "Winter Holidays"]),
    group!("Beach and Water", [(COLD, -1.0), (CULTURE, 0.3), (SPORT, 0.3)],
        ["Surfing", "Beach Holidays", "Scuba Diving", "Sailing", "Tropical Travel", "Swimming",
         "Cruises", "Water Parks"]),
    group!("Food and Drink", [(FOOD, 1.0), (FAMILY, 0.2)],
        ["Cooking and Recipes", "Craft Beer", "Wine Tasting", "Coffee Culture",
         "Vegan and Plant-Based", "Baking", "Street Food", "Cocktails"]),
    group!("Music and Nightlife", [(CULTURE, 1.0), (YOUTH, 0.7), (FOOD, 0.3)],
        ["K-Pop", "Hip-Hop and Rap", "Electronic Dance Music", "Music Festivals", "Nightclubs",
         "Rock and Metal", "Latin Music", "Live Concerts"]),
    group!("Film and TV", [(CULTURE, 0.8), (FAMILY, 0.2)],
        ["Movies", "TV Series", "Documentaries", "Reality TV", "Horror Films", "Streaming Services",
         "Celebrity News", "Stand-Up Comedy"]),
    group!("Technology", [(TECH, 1.0), (BIZ, 0.5)],
        ["Artificial Intelligence", "Smartphones", "Gadgets", "Software Development",
         "Cybersecurity", "Cloud Computing", "Smart Home", "Data Science"]),
    group!("Budget and Deals", [(PRICE, -1.0), (FAMILY, 0.3)],
        ["Coupons and Deals", "Discount Shopping", "Thrift Shopping", "Budget Travel",
         "Cashback Offers", "Second-Hand Marketplaces", "Grocery Savings", "Free Samples"]),
    group!("Health and Later Life", [(YOUTH, -1.0), (FAMILY, 0.3), (TECH, -0.3)],
        ["Retirement Planning", "Health and Medicine", "Golf", "Genealogy", "Bird Watching",
         "Knitting and Crafts", "Caravanning", "Senior Travel"]),
    group!("Education and Careers", [(BIZ, 0.5), (YOUTH, 0.5), (TECH, 0.2)],
        ["Online Courses", "Job Hunting", "Language Learning", "University Life", "Study Abroad",
         "Professional Certifications", "Teaching", "Science"]),
    group!("News and Society", [(YOUTH, -0.4), (BIZ, 0.3), (CULTURE, 0.2)],
        ["World News", "Politics", "Economics", "Environmentalism", "Charity and Volunteering",
         "History", "Philosophy", "Religion"]),
    group!("Arts and Design", [(CULTURE, 0.6), (PRICE, 0.3), (BEAUTY, 0.3)],
        ["Photography", "Painting", "Architecture", "Interior Design", "Museums and Galleries",
         "Graphic Design", "Theatre", "Poetry"]),
    group!("Cars and Motorsport", [(SPORT, 0.3), (TECH, 0.4), (YOUTH, -0.1), (PRICE, 0.2)],
        ["Formula 1", "Motorsport", "Car Modification", "Motorcycles", "Electric Vehicles",
         "Classic Cars", "Off-Roading", "Pickup Trucks"]),
];

#[rustfmt::skip]
static OBJECTIVES: &[PoolGroup] = &[
    group!("Awareness Objectives", [(CULTURE, 0.6), (YOUTH, 0.5), (PRICE, 0.2)],
        ["Brand awareness", "Reach", "Video views", "Ad recall lift"]),
    group!("Consideration Objectives", [(TECH, 0.5), (BIZ, 0.3), (YOUTH, 0.2)],
        ["Traffic", "Engagement", "App promotion", "Lead generation", "Messages"]),
    group!("Conversion Objectives", [(PRICE, -0.5), (FAMILY, 0.3), (FOOD, 0.3)],
        ["Conversions", "Catalog sales", "Store traffic"]),
];

#[rustfmt::skip]
static BUYING_TYPES: &[PoolGroup] = &[
    group!("Auction Buying", [(PRICE, -0.4), (TECH, 0.3)], ["Auction"]),
    group!("Guaranteed Buying", [(PRICE, 0.6), (BIZ, 0.3), (CULTURE, 0.3)],
        ["Reservation", "Reach and frequency"]),
];

#[rustfmt::skip]
static DEVICES: &[PoolGroup] = &[
    group!("Premium Devices", [(PRICE, 0.7), (BEAUTY, 0.3), (BIZ, 0.2)],
        ["mobile app iphone", "mobile web iphone", "ipad", "desktop mac"]),
    group!("Android and Budget Mobile", [(PRICE, -0.7), (YOUTH, 0.4)],
        ["mobile app android", "mobile web android", "android tablet", "feature phone"]),
    group!("Desktop and TV", [(FAMILY, 0.6), (BIZ, 0.4), (YOUTH, -0.3), (CULTURE, 0.3)],
        ["desktop windows", "connected tv", "smart tv app", "game console"]),
    group!("Emerging Devices", [(TECH, 1.0), (YOUTH, 0.5), (SPORT, 0.3)],
        ["smartwatch", "vr headset", "in-car display"]),
];

#[rustfmt::skip]
static GENDER_GENERATION: &[PoolGroup] = &[
    group!("Younger Generations", [(YOUTH, 1.0), (TECH, 0.4), (CULTURE, 0.4)],
        ["Gen Alpha", "Gen Z", "Millennials"]),
    group!("Older Generations", [(YOUTH, -1.0), (FAMILY, 0.4), (PRICE, 0.3)],
        ["Gen X", "Baby Boomers", "Silent Generation"]),
    group!("Female-Skewed", [(BEAUTY, 1.0), (FAMILY, 0.3)], ["Female", "Non-binary"]),
    group!("Male-Skewed", [(BEAUTY, -0.8), (SPORT, 0.5), (TECH, 0.3)], ["Male", "Unknown gender"]),
];

#[rustfmt::skip]
static BILLING_EVENTS: &[PoolGroup] = &[
    group!("View-Based Billing", [(CULTURE, 0.6), (YOUTH, 0.4)],
        ["Impressions", "Thruplay", "Two-second continuous video views"]),
    group!("Click-Based Billing", [(PRICE, -0.4), (TECH, 0.4), (BIZ, 0.3)],
        ["Link clicks", "Listing interactions", "App installs"]),
    group!("Engagement-Based Billing", [(YOUTH, 0.5), (BEAUTY, 0.3), (BIZ, -0.3)],
        ["Page likes", "Post engagement"]),
];

#[rustfmt::skip]
static COST_MODELS: &[PoolGroup] = &[
    group!("Automatic Bidding", [(PRICE, -0.3), (YOUTH, 0.3)],
        ["Automatic objective", "Lowest cost"]),
    group!("Capped Bidding", [(BIZ, 0.6), (TECH, 0.3)],
        ["Cost cap", "Bid cap", "Target cost", "Minimum ROAS"]),
    group!("Fixed Pricing", [(PRICE, 0.5), (FAMILY, 0.3)], ["Fixed CPM", "Fixed CPC"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn small_spec(seed: u64) -> SynthSpec {
        SynthSpec::new(
            &[
                ("brand", 40),
                ("audience", 50),
                ("platform", 8),
                ("geo", 20),
            ],
            0.3,
            0.1,
            6,
            seed,
        )
    }

    #[test]
    fn same_seed_same_graph_different_seed_different_graph() {
        let a = generate(&small_spec(7));
        let b = generate(&small_spec(7));
        let c = generate(&small_spec(8));
        assert_eq!(a, b);
        assert_ne!(a.edges, c.edges);
    }

    #[test]
    fn densities_hit_per_modality_pair() {
        let spec = report_large_160(160);
        let g = generate(&spec);
        assert_eq!(g.nodes.len(), 160);
        assert_eq!(g.cross_pairs(), 8700);
        let (pos, neg) = g.edge_counts();
        assert!((pos as i64 - 4092).abs() <= 5, "pos {pos}");
        assert!((neg as i64 - 557).abs() <= 5, "neg {neg}");
        let spec = small_spec(3);
        let g = generate(&spec);
        let (pos, neg) = g.edge_counts();
        let pairs = g.cross_pairs() as f64;
        assert!((pos as f64 / pairs - 0.3).abs() < 0.005);
        assert!((neg as f64 / pairs - 0.1).abs() < 0.005);
    }

    #[test]
    fn approximate_thresholds_stay_close() {
        // Force the sampled-threshold path with a large modality pair.
        let mut spec = SynthSpec::new(&[("a", 2100), ("b", 2000)], 0.05, 0.02, 8, 11);
        spec.edge_noise = 0.3;
        let g = generate(&spec);
        let (pos, neg) = g.edge_counts();
        let pairs = g.cross_pairs() as f64;
        assert!((pos as f64 / pairs - 0.05).abs() < 0.003, "{pos}");
        assert!((neg as f64 / pairs - 0.02).abs() < 0.003, "{neg}");
    }

    #[test]
    fn edges_are_cross_modality_sorted_and_unique() {
        for g in [generate(&small_spec(1)), generate(&report_like_746(746))] {
            let mut seen = HashSet::new();
            for &(a, b, _) in &g.edges {
                assert!(a < b);
                assert_ne!(g.nodes[a as usize].0, g.nodes[b as usize].0);
                assert!(seen.insert((a, b)), "duplicate pair {a},{b}");
            }
            assert!(
                g.edges
                    .windows(2)
                    .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1))
            );
            let mut values = HashSet::new();
            for n in &g.nodes {
                assert!(values.insert(n), "duplicate value {n:?}");
            }
        }
    }

    #[test]
    fn real746_shape() {
        let g = generate(&report_like_746(746));
        assert_eq!(g.nodes.len(), 746);
        assert_eq!(g.modalities().len(), 10);
        let (pos, neg) = g.edge_counts();
        assert!((pos as i64 - 36_420).abs() < 400, "pos {pos}");
        assert!((neg as i64 - 40_629).abs() < 50, "neg {neg}");
    }

    /// Two members of one group agree in sign (+, -, absent) with a third attribute far more
    /// often than two random attributes of the same modality.
    #[test]
    fn members_of_a_group_behave_alike() {
        let g = generate(&small_spec(5));
        let mut sign: HashMap<(u32, u32), i8> = HashMap::new();
        for &(a, b, s) in &g.edges {
            sign.insert((a, b), if s { 1 } else { -1 });
            sign.insert((b, a), if s { 1 } else { -1 });
        }
        let s = |a: u32, b: u32| sign.get(&(a, b)).copied().unwrap_or(0);
        let n = g.nodes.len() as u32;
        let (mut same_agree, mut same_total, mut rand_agree, mut rand_total) = (0, 0, 0, 0);
        for x in 0..n {
            for y in 0..n {
                for z in y + 1..n {
                    let (mx, my, mz) = (
                        &g.nodes[x as usize].0,
                        &g.nodes[y as usize].0,
                        &g.nodes[z as usize].0,
                    );
                    if my != mz || mx == my {
                        continue;
                    }
                    let agree = (s(x, y) == s(x, z)) as u32;
                    if g.groups[y as usize] == g.groups[z as usize] {
                        same_agree += agree;
                        same_total += 1;
                    } else {
                        rand_agree += agree;
                        rand_total += 1;
                    }
                }
            }
        }
        let same = same_agree as f64 / same_total as f64;
        let other = rand_agree as f64 / rand_total as f64;
        assert!(same > 0.8, "same-group agreement {same:.3}");
        assert!(
            same > other + 0.2,
            "same {same:.3} vs different groups {other:.3}"
        );
    }

    #[test]
    fn scaled_keeps_modalities_and_total() {
        let spec = scaled(20_000, 1);
        assert_eq!(spec.modalities.len(), 10);
        assert_eq!(spec.modalities.iter().map(|m| m.1).sum::<usize>(), 20_000);
        let small = scaled(1500, 2);
        let g = generate(&small);
        assert_eq!(g.nodes.len(), 1500);
        let per_node = 2.0 * g.edges.len() as f64 / 1500.0;
        assert!(
            (per_node - 2.0 * 77_049.0 / 746.0).abs() < 15.0,
            "degree {per_node}"
        );
    }

    #[test]
    fn large_diagnostics_near_report() {
        let g = generate(&report_large_160(160));
        let st = edge_fraction_stats(&g, &LARGE_QUOTAS, 4000, 7);
        assert!((st.pos_mean - 0.363).abs() < 0.05, "{st:?}");
        assert!((st.neg_mean - 0.036).abs() < 0.02, "{st:?}");
        let g = generate(&report_like_746(746));
        let st = edge_fraction_stats(&g, &REAL746_QUOTAS, 2000, 7);
        assert!((st.pos_mean - 0.175).abs() < 0.03, "{st:?}");
        assert!((st.neg_mean - 0.210).abs() < 0.03, "{st:?}");
    }

    /// The checked-in fixtures are exactly what the generator writes (regenerate with
    /// `cargo run -p valence-engine --example gen_fixtures`).
    #[test]
    fn checked_in_fixtures_match_generator() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let dir = tempfile::tempdir().unwrap();
        for (name, spec) in [
            ("large", report_large_160(LARGE_SEED)),
            ("real746", report_like_746(REAL746_SEED)),
        ] {
            let g = generate(&spec);
            write_catalogue_csv(&g, dir.path().join("c.csv")).unwrap();
            write_edges_csv(&g, dir.path().join("e.csv")).unwrap();
            for (fresh, disk) in [("c.csv", "catalogue.csv"), ("e.csv", "edges.csv")] {
                let a = std::fs::read(dir.path().join(fresh)).unwrap();
                let b = std::fs::read(root.join(name).join(disk)).unwrap();
                assert!(
                    a == b,
                    "fixtures/{name}/{disk} differs from the generator output"
                );
            }
        }
    }

    fn read_csv(path: &Path) -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_path(path).unwrap();
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    /// The hand-written small fixture: shape, the report's 7.1 examples, and expectations that agree
    /// with the edges (`?` pairs are absent).
    #[test]
    fn small_fixture_is_consistent() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/small");
        let cat = read_csv(&dir.join("catalogue.csv"));
        assert_eq!(cat.len(), 27);
        let modality: HashMap<&str, &str> =
            cat.iter().map(|r| (r[1].as_str(), r[0].as_str())).collect();
        assert_eq!(modality.len(), 27, "values are unique across modalities");
        let mut sign: HashMap<(String, String), String> = HashMap::new();
        for e in read_csv(&dir.join("edges.csv")) {
            let (ms, mt) = (modality[e[0].as_str()], modality[e[1].as_str()]);
            assert_ne!(ms, mt, "same-modality edge {e:?}");
            assert_eq!(e[2], format!("{ms}_to_{mt}"));
            assert!(e[3] == "+" || e[3] == "-");
            let key = (
                e[0].clone().min(e[1].clone()),
                e[0].clone().max(e[1].clone()),
            );
            assert!(sign.insert(key, e[3].clone()).is_none(), "duplicate {e:?}");
        }
        let get = |a: &str, b: &str| {
            sign.get(&(a.min(b).to_string(), a.max(b).to_string()))
                .cloned()
                .unwrap_or_else(|| "?".into())
        };
        for (a, b, want) in [
            ("Athletes", "Nike", "+"),
            ("Winter Sports Enthusiasts", "The North Face", "+"),
            ("Budget Shoppers", "Rolex", "-"),
            ("Salesforce", "K-Pop Fans", "-"),
            ("Winter Sports Enthusiasts", "Brazil", "-"),
            ("Rolex", "Wish", "-"),
            ("Salesforce", "TikTok", "-"),
            ("Fitness Enthusiasts", "Dior", "?"),
            ("Beauty Enthusiasts", "Red Bull", "?"),
            ("Dior", "TikTok", "?"),
        ] {
            assert_eq!(get(a, b), want, "{a} / {b}");
        }
        for g in ["United States", "Brazil", "South Korea", "Norway"] {
            assert_eq!(get("Women 18-34", g), "?");
        }
        for x in read_csv(&dir.join("expectations.csv")) {
            assert_eq!(modality[x[1].as_str()], x[0]);
            assert_eq!(modality[x[3].as_str()], x[2]);
            assert_eq!(get(&x[1], &x[3]), x[4], "expectation {x:?}");
        }
    }

    /// Fraction of nodes whose nearest same-modality neighbour (cosine over signed adjacency rows)
    /// is in the same latent group.
    fn nn_same_group(g: &SynthGraph) -> f64 {
        let n = g.nodes.len();
        let mut m = vec![0f32; n * n];
        for &(a, b, s) in &g.edges {
            let v = if s { 1.0 } else { -1.0 };
            m[a as usize * n + b as usize] = v;
            m[b as usize * n + a as usize] = v;
        }
        let norm: Vec<f32> = (0..n)
            .map(|i| {
                m[i * n..(i + 1) * n]
                    .iter()
                    .map(|x| x * x)
                    .sum::<f32>()
                    .sqrt()
                    .max(1e-6)
            })
            .collect();
        let mut hits = 0;
        for i in 0..n {
            let best = (0..n)
                .filter(|&j| j != i && g.nodes[j].0 == g.nodes[i].0)
                .map(|j| {
                    let dot: f32 = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum();
                    (dot / (norm[i] * norm[j]), j)
                })
                .max_by(|x, y| x.0.total_cmp(&y.0));
            if let Some((_, j)) = best {
                hits += (g.groups[i] == g.groups[j]) as usize;
            }
        }
        hits as f64 / n as f64
    }

    /// Adjacency-derived embeddings separate the groups (what the cluster strategy relies on).
    #[test]
    fn adjacency_neighbours_share_groups() {
        let large = nn_same_group(&generate(&report_large_160(LARGE_SEED)));
        let small = nn_same_group(&generate(&small_spec(9)));
        let real = nn_same_group(&generate(&report_like_746(REAL746_SEED)));
        eprintln!("nn same group: large {large:.3}, small spec {small:.3}, real746 {real:.3}");
        assert!(large > 0.8, "large {large:.3}");
        assert!(small > 0.8, "small spec {small:.3}");
        assert!(real > 0.8, "real746 {real:.3}");
    }

    /// `to_signed_graph` keeps ids and signs, and this module's row fractions agree with the
    /// engine's `edge_fractions` on the same rows.
    #[test]
    fn engine_graph_agrees() {
        let g = generate(&report_large_160(LARGE_SEED));
        let sg = g.to_signed_graph().unwrap();
        assert_eq!(sg.node_count(), g.nodes.len());
        let (p, n) = g.edge_counts();
        assert_eq!(sg.edge_counts(), (p as u64, n as u64));
        for (i, (m, v)) in g.nodes.iter().enumerate() {
            assert_eq!(sg.find(m, v), Some(i as u32));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = g.nodes.len() as u64;
        for _ in 0..200 {
            let row: Vec<u32> = {
                let mut r: Vec<u32> = (0..8).map(|_| (rng.next_u64() % n) as u32).collect();
                r.sort_unstable();
                r.dedup();
                r
            };
            let (mut pairs, mut pos, mut neg) = (0u64, 0u64, 0u64);
            for (i, &a) in row.iter().enumerate() {
                for &b in &row[i + 1..] {
                    if g.nodes[a as usize].0 != g.nodes[b as usize].0 {
                        pairs += 1;
                        match g.edges.binary_search_by_key(&(a, b), |e| (e.0, e.1)) {
                            Ok(k) if g.edges[k].2 => pos += 1,
                            Ok(_) => neg += 1,
                            Err(_) => {}
                        }
                    }
                }
            }
            let f = sg.edge_fractions(&row);
            assert_eq!(
                (f.pairs, f.pos_edges, f.neg_edges),
                (pairs, pos, neg),
                "{row:?}"
            );
        }
    }
}
