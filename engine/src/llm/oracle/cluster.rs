//! The oracle's answers to the cluster-first tasks
//! ([`crate::llm::cluster_tasks`]) and its embeddings.
//!
//! * `Describe`: a fixed sentence naming the value and modality.
//! * `Label`: label = `"<first member> +<n-1>"`, summary and three
//!   characteristics listing members (deterministic text).
//! * `Score`: over every (source member, target member) pair it takes the
//!   oracle's (possibly noisy) sign answer; with `pos` and `neg` counts over
//!   `pairs` member pairs, score = round(5 + 5 * (pos - neg) / pairs), and
//!   `null` when no member pair has an edge (pos + neg = 0).
//! * Embeddings: the input text's first line must be `<modality>: <value>`
//!   (the cluster strategy embeds `"<modality>: <value>\n<description>"`).
//!   The vector is the attribute's signed adjacency row over every
//!   reference attribute (sorted by modality, value; +1 / -1 / 0 from the
//!   oracle's possibly noisy answers), randomly projected to
//!   [`ORACLE_EMBED_DIMS`] dimensions (seeded) and L2-normalised. An input
//!   whose first line names no reference attribute gets a hash-seeded random
//!   unit vector. So attributes with similar reference neighbourhoods embed
//!   close together: a best case for clustering, stated as such.

use serde_json::Value;

use crate::cluster::{l2_normalize, random_projection};
use crate::llm::backend::Task;
use crate::llm::cluster_tasks::ClusterTask;
use crate::llm::parse::SignLabel;

use super::OracleBackend;

/// Width of the oracle's embeddings.
pub const ORACLE_EMBED_DIMS: usize = 64;

/// The oracle's score rule for a cluster pair (see the module docs).
pub fn score(
    o: &OracleBackend,
    a_mod: &str,
    a: &[String],
    b_mod: &str,
    b: &[String],
) -> Option<i64> {
    let (mut pos, mut neg) = (0i64, 0i64);
    for x in a {
        for y in b {
            match o.answer((a_mod, x), (b_mod, y)) {
                SignLabel::Pos => pos += 1,
                SignLabel::Neg => neg += 1,
                SignLabel::Neutral => {}
            }
        }
    }
    let pairs = (a.len() * b.len()) as f64;
    if pos + neg == 0 || pairs == 0.0 {
        return None;
    }
    Some((5.0 + 5.0 * (pos - neg) as f64 / pairs).round() as i64)
}

/// The oracle's reply to a cluster task.
pub fn reply(o: &OracleBackend, task: &ClusterTask) -> String {
    match task {
        ClusterTask::Describe {
            modality,
            values,
            batched,
        } => {
            let d =
                |v: &str| format!("{v} is a {modality} attribute (oracle simulator description).");
            if !batched {
                return d(values.first().map(String::as_str).unwrap_or(""));
            }
            let mut m = serde_json::Map::new();
            for (i, v) in values.iter().enumerate() {
                m.insert((i + 1).to_string(), Value::from(d(v)));
            }
            Value::Object(m).to_string()
        }
        ClusterTask::Label { modality, clusters } => {
            let one = |c: &Vec<String>| {
                let first = c.first().map(String::as_str).unwrap_or("?");
                serde_json::json!({
                    "label": format!("{first} +{}", c.len().saturating_sub(1)),
                    "summary": format!("{} {modality} attributes: {}.", c.len(), c.join(", ")),
                    "characteristics": [
                        format!("{} members", c.len()),
                        format!("modality {modality}"),
                        format!("first member {first}"),
                    ],
                })
            };
            if clusters.len() == 1 {
                return one(&clusters[0]).to_string();
            }
            let mut m = serde_json::Map::new();
            for (i, c) in clusters.iter().enumerate() {
                m.insert((i + 1).to_string(), one(c));
            }
            Value::Object(m).to_string()
        }
        ClusterTask::ClassifyMixed {
            primary_modality,
            primary_value,
            targets,
        } => {
            let mut m = serde_json::Map::new();
            for (i, (tm, tv)) in targets.iter().enumerate() {
                let l = o.answer((primary_modality, primary_value), (tm, tv));
                m.insert((i + 1).to_string(), Value::from(l.symbol()));
            }
            Value::Object(m).to_string()
        }
        ClusterTask::Score {
            source_modality,
            source_members,
            targets,
        } => {
            let mut m = serde_json::Map::new();
            for (i, (tm, members)) in targets.iter().enumerate() {
                let s = score(o, source_modality, source_members, tm, members);
                m.insert(
                    (i + 1).to_string(),
                    s.map(Value::from).unwrap_or(Value::Null),
                );
            }
            Value::Object(m).to_string()
        }
    }
}

/// The oracle's reply to any task that is not `ClassifySigns`.
///
/// `ClassifyMixed` is answered pair by pair like `ClassifySigns`.
pub fn reply_other(o: &OracleBackend, task: &Task) -> String {
    match task {
        Task::Cluster(t) => reply(o, t),
        _ => "{}".into(),
    }
}

/// The oracle's embeddings (see the module docs).
pub fn embed(o: &OracleBackend, inputs: &[String]) -> Vec<Vec<f32>> {
    let columns = o.reference().nodes_sorted();
    let seed = o.seed() ^ 0x0e4b_ed00;
    let rows: Vec<Vec<f32>> = inputs
        .iter()
        .map(|text| {
            let first = text.lines().next().unwrap_or("");
            let (m, v) = first.split_once(": ").unwrap_or(("", first));
            if !o.reference().contains(m, v) {
                // Unknown: a hash-seeded random row.
                let h = blake3::hash(text.as_bytes());
                return h.as_bytes().iter().map(|&b| f32::from(b) - 127.5).collect();
            }
            columns
                .iter()
                .map(|(cm, cv)| {
                    if cm == m {
                        return 0.0;
                    }
                    match o.answer((m, v), (cm, cv)) {
                        SignLabel::Pos => 1.0,
                        SignLabel::Neg => -1.0,
                        SignLabel::Neutral => 0.0,
                    }
                })
                .collect()
        })
        .collect();
    let mut out = random_projection(&rows, ORACLE_EMBED_DIMS, seed);
    for v in &mut out {
        l2_normalize(v);
    }
    out
}
