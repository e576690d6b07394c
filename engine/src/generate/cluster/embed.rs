//! Phases 2 and 3: embedding `"<modality>: <value>\n<description>"` per
//! attribute of every clustered modality (`/v1/embeddings` with
//! `embedding_model`, or the oracle's deterministic embeddings; up to
//! [`EMBED_CHUNK`] inputs per request, each request journaled), then
//! clustering each modality ([`crate::cluster::cluster_modality`]).

use std::sync::Arc;

use crate::Result;
use crate::cluster::cluster_modality;
use crate::generate::journaled::Job;
use crate::generate::{BackendKind, journal_key};
use crate::llm::ParseError;
use crate::llm::runner::{EmbedRequest, Parser};

use super::{ClusterOptions, Mod, ModalityClusters, Phase, PhaseStats, Pipeline};

/// Embedding inputs per `/embeddings` request.
pub(super) const EMBED_CHUNK: usize = 100;

/// The texts to embed and the modality each belongs to.
pub(super) fn texts(mods: &[Mod]) -> (Vec<String>, Vec<usize>) {
    let mut texts = Vec::new();
    let mut owners = Vec::new();
    for (mi, m) in mods.iter().enumerate() {
        if !m.clustered {
            continue;
        }
        for (v, d) in m.values.iter().zip(&m.descriptions) {
            texts.push(format!("{}: {v}\n{d}", m.name));
            owners.push(mi);
        }
    }
    (texts, owners)
}

/// The journal identity of embeddings: the backend's and the embedding model.
fn embed_identity(identity: &str, opts: &ClusterOptions) -> String {
    let model = match opts.generate.backend {
        BackendKind::OpenAi => opts.resolved_embedding_model().unwrap_or_default(),
        BackendKind::Oracle => "oracle".into(),
    };
    format!("{identity}\0embed\0{model}")
}

/// One job per [`EMBED_CHUNK`] texts.
pub(super) fn jobs(
    identity: &str,
    opts: &ClusterOptions,
    texts: &[String],
) -> Vec<Job<EmbedRequest>> {
    let identity = embed_identity(identity, opts);
    texts
        .chunks(EMBED_CHUNK)
        .map(|chunk| {
            let parts: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let key = journal_key(&identity, "", "embed", &parts);
            let what = format!(
                "{} inputs from '{}'..",
                chunk.len(),
                chunk[0].lines().next().unwrap_or("")
            );
            Job::new(
                key,
                EmbedRequest {
                    inputs: chunk.to_vec(),
                },
                what,
            )
        })
        .collect()
}

/// A vector per input, all of one non-zero length.
pub(super) fn parser() -> Parser<Vec<Vec<f32>>, EmbedRequest> {
    Arc::new(|req: &EmbedRequest, text: &str| {
        let v: Vec<Vec<f32>> = serde_json::from_str(text)
            .map_err(|e| ParseError(format!("not a list of vectors: {e}")))?;
        if v.len() != req.inputs.len() {
            return Err(ParseError(format!(
                "{} vectors for {} inputs",
                v.len(),
                req.inputs.len()
            )));
        }
        let dim = v.first().map_or(0, Vec::len);
        if dim == 0 || v.iter().any(|x| x.len() != dim) {
            return Err(ParseError("vectors of different or zero lengths".into()));
        }
        Ok(v)
    })
}

/// Runs the phase (every request must succeed: clustering needs every
/// vector) and clusters each modality.
pub(super) fn run(
    p: &mut Pipeline,
    mods: &mut [Mod],
) -> Result<(PhaseStats, Vec<ModalityClusters>)> {
    let (texts, owners) = texts(mods);
    let jobs = jobs(&p.identity, p.opts, &texts);
    let (answers, stats) = p.run(Phase::Embedding, &jobs, parser())?;
    let mut vectors = Vec::with_capacity(texts.len());
    for a in answers {
        match a {
            Some(v) => vectors.extend(v),
            None => {
                return Err(p.calls.failure_error(
                    format!(
                        "an embedding request failed after its retries: {}",
                        p.calls.last_failure().unwrap_or("no usable answer")
                    ),
                    None,
                ));
            }
        }
    }
    let params = p.opts.params();
    let mut report = Vec::with_capacity(mods.len());
    for (mi, m) in mods.iter_mut().enumerate() {
        if m.clustered {
            let rows: Vec<Vec<f32>> = owners
                .iter()
                .zip(&vectors)
                .filter(|(o, _)| **o == mi)
                .map(|(_, v)| v.clone())
                .collect();
            m.set_clustering(cluster_modality(&rows, &params)?);
        }
        report.push(ModalityClusters {
            modality: m.name.clone(),
            attributes: m.values.len() as u64,
            clusters: m.clustering.k as u64,
            singletons: m.members.iter().filter(|c| c.len() == 1).count() as u64,
            noise: m.clustering.noise.iter().filter(|&&x| x).count() as u64,
            method: m.clustering.method.into(),
        });
    }
    Ok((stats, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::runner::Call;

    /// A fresh answer goes through the same text as a journaled one, so it
    /// must read back bit for bit; wrong counts or widths are unusable.
    #[test]
    fn vectors_round_trip_and_bad_shapes_are_refused() {
        let req = EmbedRequest {
            inputs: vec!["a: x".into(), "a: y".into()],
        };
        let v = vec![
            vec![0.1f32, -1.0e-7, std::f32::consts::PI],
            vec![1.0 / 3.0, 2.5e30, -0.0],
        ];
        let text = serde_json::to_string(&v).unwrap();
        let back = parser()(&req, &text).unwrap();
        let bits =
            |v: &[Vec<f32>]| -> Vec<u32> { v.iter().flatten().map(|x| x.to_bits()).collect() };
        assert_eq!(bits(&back), bits(&v));
        for bad in [
            "[[1.0, 2.0]]",
            "[[1.0], [1.0, 2.0]]",
            "[[], []]",
            "{\"a\": 1}",
        ] {
            assert!(parser()(&req, bad).is_err(), "{bad}");
        }
        // The request is sent to the backend's embeddings, not its chat.
        let oracle = crate::llm::OracleBackend::new(
            crate::llm::OracleReference::default(),
            0.0,
            1,
            std::time::Duration::ZERO,
        )
        .unwrap();
        let rt = crate::llm::runner::new_runtime().unwrap();
        let reply = rt.block_on(req.send(&oracle)).unwrap();
        assert_eq!(parser()(&req, &reply.text).unwrap().len(), 2);
    }
}
