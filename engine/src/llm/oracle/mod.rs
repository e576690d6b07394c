//! The oracle: an offline SIMULATOR, not a language model.
//!
//! It answers sign-classification prompts by looking the pair up in a
//! reference edge graph (absent pair = `"0"`), optionally flipping a seeded
//! fraction of answers (`oracle_noise`) and sleeping `oracle_latency_ms`
//! per call. It exists so pipelines can be run, timed and tested offline.
//! Its answers to the cluster-first tasks and its embeddings are in
//! `cluster.rs`.

mod cluster;

use std::collections::HashMap;
use std::time::Duration;

use crate::llm::backend::{Backend, BoxFuture, CallError, Request, Task};
use crate::llm::parse::SignLabel;
use crate::{Error, Result};

/// The reference edges the oracle answers from, keyed by (modality, value).
#[derive(Debug, Clone, Default)]
pub struct OracleReference {
    ids: HashMap<(String, String), u32>,
    signs: HashMap<(u32, u32), SignLabel>,
    digest: String,
}

impl OracleReference {
    /// Builds from `((modality, value), (modality, value), sign)` triples;
    /// pairs are unordered; a neutral sign is the same as no edge.
    pub fn from_edges<I>(edges: I) -> OracleReference
    where
        I: IntoIterator<Item = ((String, String), (String, String), SignLabel)>,
    {
        let mut r = OracleReference::default();
        let mut canon: Vec<String> = Vec::new();
        for (a, b, s) in edges {
            if s == SignLabel::Neutral {
                continue;
            }
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            canon.push(format!(
                "{}\0{}\0{}\0{}\0{}",
                a.0,
                a.1,
                b.0,
                b.1,
                s.symbol()
            ));
            let ia = r.id(a);
            let ib = r.id(b);
            r.signs.insert((ia, ib), s);
        }
        canon.sort();
        canon.dedup();
        let mut h = blake3::Hasher::new();
        for c in &canon {
            h.update(c.as_bytes());
            h.update(b"\n");
        }
        r.digest = h.finalize().to_hex()[..16].to_string();
        r
    }

    fn id(&mut self, k: (String, String)) -> u32 {
        let n = self.ids.len() as u32;
        *self.ids.entry(k).or_insert(n)
    }

    /// The reference sign of a pair (`Neutral` when absent).
    pub fn sign(&self, a: (&str, &str), b: (&str, &str)) -> SignLabel {
        let key = |m: &str, v: &str| self.ids.get(&(m.to_string(), v.to_string())).copied();
        let (Some(ia), Some(ib)) = (key(a.0, a.1), key(b.0, b.1)) else {
            return SignLabel::Neutral;
        };
        self.signs
            .get(&(ia, ib))
            .or_else(|| self.signs.get(&(ib, ia)))
            .copied()
            .unwrap_or(SignLabel::Neutral)
    }

    /// Whether (modality, value) is an endpoint of some reference edge.
    pub fn contains(&self, modality: &str, value: &str) -> bool {
        self.ids
            .contains_key(&(modality.to_string(), value.to_string()))
    }

    /// Number of signed pairs.
    pub fn len(&self) -> usize {
        self.signs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.signs.is_empty()
    }

    /// A short content digest (part of the oracle's journal identity).
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

/// The offline simulator. See the module documentation.
#[derive(Debug, Clone)]
pub struct OracleBackend {
    reference: OracleReference,
    noise: f64,
    seed: u64,
    latency: Duration,
}

impl OracleBackend {
    /// `noise` = fraction of answers replaced by one of the two other labels
    /// (0..=1); which pairs flip is a pure function of (seed, pair), so it
    /// does not depend on call order, concurrency or retries.
    pub fn new(
        reference: OracleReference,
        noise: f64,
        seed: u64,
        latency: Duration,
    ) -> Result<Self> {
        if !(0.0..=1.0).contains(&noise) {
            return Err(Error::invalid(format!(
                "oracle_noise {noise} is outside 0..1"
            )));
        }
        Ok(OracleBackend {
            reference,
            noise,
            seed,
            latency,
        })
    }

    /// The (possibly noisy) answer for one pair.
    pub fn answer(&self, a: (&str, &str), b: (&str, &str)) -> SignLabel {
        let truth = self.reference.sign(a, b);
        if self.noise <= 0.0 {
            return truth;
        }
        let (x, y) = if a <= b { (a, b) } else { (b, a) };
        let mut h = blake3::Hasher::new();
        h.update(&self.seed.to_le_bytes());
        for part in [x.0, x.1, y.0, y.1] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        let bytes = *h.finalize().as_bytes();
        let mut u = [0u8; 8];
        u.copy_from_slice(&bytes[..8]);
        let u = (u64::from_le_bytes(u) >> 11) as f64 / (1u64 << 53) as f64;
        if u >= self.noise {
            return truth;
        }
        let others = match truth {
            SignLabel::Pos => [SignLabel::Neg, SignLabel::Neutral],
            SignLabel::Neg => [SignLabel::Pos, SignLabel::Neutral],
            SignLabel::Neutral => [SignLabel::Pos, SignLabel::Neg],
        };
        others[(bytes[8] & 1) as usize]
    }

    /// The reply text a well-behaved model would give.
    pub fn reply_for(&self, task: &Task) -> String {
        match task {
            Task::ClassifySigns {
                primary_modality,
                primary_value,
                target_modality,
                targets,
            } => {
                let mut s = String::from("{");
                for (i, t) in targets.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let l = self.answer((primary_modality, primary_value), (target_modality, t));
                    s.push_str(&format!("\"{}\": \"{}\"", i + 1, l.symbol()));
                }
                s.push('}');
                s
            }
            other => cluster::reply_other(self, other),
        }
    }
}

impl Backend for OracleBackend {
    fn name(&self) -> &'static str {
        "oracle"
    }

    fn journal_identity(&self) -> String {
        format!(
            "oracle\0{}\0noise={}\0seed={}",
            self.reference.digest, self.noise, self.seed
        )
    }

    fn complete<'a>(&'a self, req: &'a Request) -> BoxFuture<'a, Result<String, CallError>> {
        Box::pin(async move {
            if !self.latency.is_zero() {
                tokio::time::sleep(self.latency).await;
            }
            Ok(self.reply_for(&req.task))
        })
    }

    /// Deterministic embeddings from the reference (see `oracle/cluster.rs`).
    fn embed<'a>(
        &'a self,
        inputs: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>> {
        Box::pin(async move { Ok(cluster::embed(self, inputs)) })
    }
}

// ---- accessors for the cluster-first answers (`cluster`) ----

impl OracleBackend {
    /// The reference the oracle answers from.
    pub fn reference(&self) -> &OracleReference {
        &self.reference
    }

    /// The noise seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl OracleReference {
    /// Every (modality, value) that is an endpoint of a reference edge,
    /// sorted.
    pub fn nodes_sorted(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.ids.keys().cloned().collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> OracleReference {
        let p = |m: &str, v: &str| (m.to_string(), v.to_string());
        OracleReference::from_edges(vec![
            (
                p("brand", "Nike"),
                p("audience", "Athletes"),
                SignLabel::Pos,
            ),
            (
                p("audience", "Budget Shoppers"),
                p("brand", "Rolex"),
                SignLabel::Neg,
            ),
        ])
    }

    #[test]
    fn oracle_answers_from_reference() {
        let o = OracleBackend::new(reference(), 0.0, 1, Duration::ZERO).unwrap();
        let t = Task::ClassifySigns {
            primary_modality: "audience".into(),
            primary_value: "Athletes".into(),
            target_modality: "brand".into(),
            targets: vec!["Rolex".into(), "Nike".into()],
        };
        assert_eq!(o.reply_for(&t), r#"{"1": "0", "2": "+"}"#);
        assert_eq!(
            o.answer(("brand", "Rolex"), ("audience", "Budget Shoppers")),
            SignLabel::Neg
        );
    }

    #[test]
    fn oracle_noise_is_seeded_and_symmetric() {
        let o = OracleBackend::new(reference(), 0.5, 7, Duration::ZERO).unwrap();
        let mut flipped = 0;
        for i in 0..1000 {
            let v = format!("v{i}");
            let a = o.answer(("brand", &v), ("geo", "x"));
            assert_eq!(a, o.answer(("geo", "x"), ("brand", &v)));
            if a != SignLabel::Neutral {
                flipped += 1;
            }
        }
        assert!((400..600).contains(&flipped), "{flipped}");
        assert!(OracleBackend::new(reference(), 1.5, 7, Duration::ZERO).is_err());
    }
}
