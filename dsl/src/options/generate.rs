//! The options of `GENERATE GRAPH ... WITH (...)`: [`GENERATE`] (both
//! strategies) and [`CLUSTER`] (what `USING CLUSTER` adds).

use std::path::PathBuf;

use valence_engine::generate::{
    BackendKind, ClusterOptions, GenerateOptions, PrimaryRule, ResponseFormat, Transport,
};

use super::{Kind, OptValue, OptionDef, Range};

const ANY: u64 = u64::MAX;

fn path(p: &Option<PathBuf>) -> OptValue {
    OptValue::from_text(p.as_ref().map(|p| p.to_string_lossy()).as_deref())
}

/// Options of both strategies, on [`GenerateOptions`].
pub static GENERATE: &[OptionDef<GenerateOptions>] = &[
    OptionDef {
        name: "backend",
        kind: Kind::Choice(&[
            ("oracle", "offline simulator"),
            ("openai", "any OpenAI-compatible endpoint"),
        ]),
        doc: "who answers the prompts",
        get: |o| OptValue::Text(o.backend.name().into()),
        set: |o, v| {
            o.backend = match v.text().as_str() {
                "openai" => BackendKind::OpenAi,
                _ => BackendKind::Oracle,
            }
        },
    },
    OptionDef {
        name: "reference",
        kind: Kind::Text,
        doc: "the edge CSV the oracle answers from (required by the oracle)",
        get: |o| path(&o.reference),
        set: |o, v| o.reference = Some(PathBuf::from(v.text())),
    },
    OptionDef {
        name: "base_url",
        kind: Kind::Text,
        doc: "OpenAI-compatible endpoint (none: env OPENAI_BASE_URL); secrets in it are redacted",
        get: |o| OptValue::from_text(o.base_url.as_deref()),
        set: |o, v| o.base_url = Some(v.text()),
    },
    OptionDef {
        name: "model",
        kind: Kind::Text,
        doc: "chat model (none: env OPENAI_MODEL; the openai backend needs one)",
        get: |o| OptValue::Text(o.model.clone()),
        set: |o, v| o.model = v.text(),
    },
    OptionDef {
        name: "temperature",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: 2.0,
            open: false,
        }),
        doc: "sampling temperature of every call",
        get: |o| OptValue::Number(o.temperature),
        set: |o, v| o.temperature = v.number(),
    },
    OptionDef {
        name: "batch_size",
        kind: Kind::Whole { min: 1, max: ANY },
        doc: "targets per classification call",
        get: |o| OptValue::Whole(o.batch_size as u64),
        set: |o, v| o.batch_size = v.whole() as usize,
    },
    OptionDef {
        name: "workers",
        kind: Kind::Whole { min: 1, max: 1024 },
        doc: "calls in flight",
        get: |o| OptValue::Whole(o.workers as u64),
        set: |o, v| o.workers = v.whole() as usize,
    },
    OptionDef {
        name: "budget",
        kind: Kind::Whole { min: 1, max: ANY },
        doc: "most calls this run makes, retries included (none: no limit)",
        get: |o| o.budget.map_or(OptValue::Unset, OptValue::Whole),
        set: |o, v| o.budget = Some(v.whole()),
    },
    OptionDef {
        name: "retries",
        kind: Kind::Whole { min: 0, max: 100 },
        doc: "retries of a failed call (429, 408, 5xx, timeouts, unusable replies)",
        get: |o| OptValue::Whole(o.retries.into()),
        set: |o, v| o.retries = v.whole() as u32,
    },
    OptionDef {
        name: "timeout_s",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: 86_400.0,
            open: true,
        }),
        doc: "seconds before a call times out",
        get: |o| OptValue::Number(o.timeout_s),
        set: |o, v| o.timeout_s = v.number(),
    },
    OptionDef {
        name: "oracle_noise",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: 1.0,
            open: false,
        }),
        doc: "share of the oracle's answers flipped (seeded)",
        get: |o| OptValue::Number(o.oracle_noise),
        set: |o, v| o.oracle_noise = v.number(),
    },
    OptionDef {
        name: "oracle_latency_ms",
        kind: Kind::Whole { min: 0, max: ANY },
        doc: "simulated latency of each oracle call",
        get: |o| OptValue::Whole(o.oracle_latency_ms),
        set: |o, v| o.oracle_latency_ms = v.whole(),
    },
    OptionDef {
        name: "seed",
        kind: Kind::Whole { min: 0, max: ANY },
        doc: "seed of the oracle's noise and of the retry jitter",
        get: |o| OptValue::Whole(o.seed),
        set: |o, v| o.seed = v.whole(),
    },
    OptionDef {
        name: "prompt",
        kind: Kind::Text,
        doc: "a file overriding the sign-classification template (Appendix A)",
        get: |o| path(&o.prompt),
        set: |o, v| o.prompt = Some(PathBuf::from(v.text())),
    },
    OptionDef {
        name: "primary",
        kind: Kind::Choice(&[
            ("fewer_calls", "the side needing fewer calls"),
            ("larger", "the report's counts"),
            ("first", "the modality first in the catalogue"),
        ]),
        doc: "which side of a modality pair is primary (one call per primary attribute)",
        get: |o| OptValue::Text(o.primary.name().into()),
        set: |o, v| o.primary = PrimaryRule::parse(&v.text()).unwrap_or_default(),
    },
    OptionDef {
        name: "backoff_ms",
        kind: Kind::Whole { min: 0, max: ANY },
        doc: "first retry wait, doubled at each retry (at most 30 s)",
        get: |o| OptValue::Whole(o.backoff_ms),
        set: |o, v| o.backoff_ms = v.whole(),
    },
    OptionDef {
        name: "max_wait_s",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: 86_400.0,
            open: false,
        }),
        doc: "longest Retry-After honoured; a longer one fails that batch at once",
        get: |o| OptValue::Number(o.max_wait_s),
        set: |o, v| o.max_wait_s = v.number(),
    },
    OptionDef {
        name: "max_reply_bytes",
        kind: Kind::Whole {
            min: 1024,
            max: 1 << 30,
        },
        doc: "largest reply body read; a larger one is a failed attempt",
        get: |o| OptValue::Whole(o.max_reply_bytes),
        set: |o, v| o.max_reply_bytes = v.whole(),
    },
    OptionDef {
        name: "allow_failed",
        kind: Kind::Bool,
        doc: "store the graph (marked partial) even when batches failed",
        get: |o| OptValue::Bool(o.allow_failed),
        set: |o, v| o.allow_failed = v.bool(),
    },
    OptionDef {
        name: "rpm",
        kind: Kind::Whole { min: 1, max: ANY },
        doc: "requests per minute for all workers together (none: no limit)",
        get: |o| o.rpm.map_or(OptValue::Unset, OptValue::Whole),
        set: |o, v| o.rpm = Some(v.whole()),
    },
    OptionDef {
        name: "tpm",
        kind: Kind::Whole { min: 1, max: ANY },
        doc: "prompt tokens per minute (estimated) for all workers together (none: no limit)",
        get: |o| o.tpm.map_or(OptValue::Unset, OptValue::Whole),
        set: |o, v| o.tpm = Some(v.whole()),
    },
    OptionDef {
        name: "price_in",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: f64::INFINITY,
            open: false,
        }),
        doc: "USD per million prompt tokens (none: env VALENCE_PRICE_IN; unset: no dollar figures)",
        get: |o| o.price_in.map_or(OptValue::Unset, OptValue::Number),
        set: |o, v| o.price_in = Some(v.number()),
    },
    OptionDef {
        name: "price_out",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: f64::INFINITY,
            open: false,
        }),
        doc: "USD per million completion tokens (none: env VALENCE_PRICE_OUT)",
        get: |o| o.price_out.map_or(OptValue::Unset, OptValue::Number),
        set: |o, v| o.price_out = Some(v.number()),
    },
    OptionDef {
        name: "batch_discount",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: 1.0,
            open: false,
        }),
        doc: "share of the sync price a provider batch costs (EXPLAIN's batch estimate)",
        get: |o| OptValue::Number(o.batch_discount),
        set: |o, v| o.batch_discount = v.number(),
    },
    OptionDef {
        name: "budget_usd",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: f64::INFINITY,
            open: true,
        }),
        doc: "most dollars this run spends, by the server's usage (needs prices; none: no limit)",
        get: |o| o.budget_usd.map_or(OptValue::Unset, OptValue::Number),
        set: |o, v| o.budget_usd = Some(v.number()),
    },
    OptionDef {
        name: "transport",
        kind: Kind::Choice(&[
            ("sync", "one HTTP request per call"),
            (
                "batch",
                "provider batches: /v1/files + /v1/batches (openai)",
            ),
            (
                "batch_files",
                "batch files in batch_dir for an offline runner (vllm run-batch)",
            ),
        ]),
        doc: "how requests reach the provider (batch: about half the price, results within 24 h)",
        get: |o| OptValue::Text(o.transport.name().into()),
        set: |o, v| {
            o.transport = match v.text().as_str() {
                "batch" => Transport::Batch,
                "batch_files" => Transport::BatchFiles,
                _ => Transport::Sync,
            }
        },
    },
    OptionDef {
        name: "prompts",
        kind: Kind::Text,
        doc: "a directory of prompt files (enrich.txt, enrich_<modality>.txt, label.txt, score.txt, classify.txt)",
        get: |o| path(&o.prompts),
        set: |o, v| o.prompts = Some(PathBuf::from(v.text())),
    },
    OptionDef {
        name: "batch_dir",
        kind: Kind::Text,
        doc: "where transport = 'batch_files' writes request files and reads result files",
        get: |o| path(&o.batch_dir),
        set: |o, v| o.batch_dir = Some(PathBuf::from(v.text())),
    },
    OptionDef {
        name: "batch_poll_s",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: 86_400.0,
            open: true,
        }),
        doc: "seconds between polls of a provider batch",
        get: |o| OptValue::Number(o.batch_poll_s),
        set: |o, v| o.batch_poll_s = v.number(),
    },
    OptionDef {
        name: "batch_max_requests",
        kind: Kind::Whole {
            min: 1,
            max: 50_000,
        },
        doc: "most requests in one batch file (also at most 200 MB)",
        get: |o| OptValue::Whole(o.batch_max_requests),
        set: |o, v| o.batch_max_requests = v.whole(),
    },
    OptionDef {
        name: "response_format",
        kind: Kind::Choice(&[
            ("text", "no response_format: the report's prompts"),
            ("json_object", "{\"type\": \"json_object\"} on JSON prompts"),
            ("json_schema", "a strict schema per prompt kind"),
        ]),
        doc: "structured outputs requested from an openai endpoint (replies are parsed strictly either way)",
        get: |o| OptValue::Text(o.response_format.name().into()),
        set: |o, v| {
            o.response_format = match v.text().as_str() {
                "json_object" => ResponseFormat::JsonObject,
                "json_schema" => ResponseFormat::JsonSchema,
                _ => ResponseFormat::Text,
            }
        },
    },
];

/// What `USING CLUSTER` adds, on [`ClusterOptions`] (whose `generate`
/// field takes [`GENERATE`]).
pub static CLUSTER: &[OptionDef<ClusterOptions>] = &[
    OptionDef {
        name: "min_attributes_to_cluster",
        kind: Kind::Whole { min: 0, max: ANY },
        doc: "smaller modalities are all singletons",
        get: |o| OptValue::Whole(o.min_attributes_to_cluster as u64),
        set: |o, v| o.min_attributes_to_cluster = v.whole() as usize,
    },
    OptionDef {
        name: "umap_threshold",
        kind: Kind::Whole { min: 0, max: ANY },
        doc: "UMAP from this many attributes on, PCA below",
        get: |o| OptValue::Whole(o.umap_threshold as u64),
        set: |o, v| o.umap_threshold = v.whole() as usize,
    },
    OptionDef {
        name: "umap_dims",
        kind: Kind::Whole { min: 1, max: ANY },
        doc: "dimensions the embeddings are reduced to",
        get: |o| OptValue::Whole(o.umap_dims as u64),
        set: |o, v| o.umap_dims = v.whole() as usize,
    },
    OptionDef {
        name: "min_cluster_size",
        kind: Kind::Whole { min: 2, max: ANY },
        doc: "HDBSCAN's smallest cluster",
        get: |o| OptValue::Whole(o.min_cluster_size as u64),
        set: |o, v| o.min_cluster_size = v.whole() as usize,
    },
    OptionDef {
        name: "pos_threshold",
        kind: Kind::Number(Range::Within(0.0, 10.0)),
        doc: "cluster pairs scoring at least this are positive (above neg_threshold)",
        get: |o| OptValue::Number(o.pos_threshold),
        set: |o, v| o.pos_threshold = v.number(),
    },
    OptionDef {
        name: "neg_threshold",
        kind: Kind::Number(Range::Within(0.0, 10.0)),
        doc: "cluster pairs scoring at most this are negative; between the two: neutral",
        get: |o| OptValue::Number(o.neg_threshold),
        set: |o, v| o.neg_threshold = v.number(),
    },
    OptionDef {
        name: "inherit_pos",
        kind: Kind::Number(Range::Within(0.0, 10.0)),
        doc: "pairs scoring at least this give their attribute pairs `+` directly",
        get: |o| OptValue::Number(o.inherit_pos),
        set: |o, v| o.inherit_pos = v.number(),
    },
    OptionDef {
        name: "inherit_neg",
        kind: Kind::Number(Range::Within(0.0, 10.0)),
        doc: "pairs scoring at most this give their attribute pairs `-` directly",
        get: |o| OptValue::Number(o.inherit_neg),
        set: |o, v| o.inherit_neg = v.number(),
    },
    OptionDef {
        name: "embedding_model",
        kind: Kind::Text,
        doc: "embedding model (none: env OPENAI_EMBEDDING_MODEL)",
        get: |o| OptValue::Text(o.embedding_model.clone()),
        set: |o, v| o.embedding_model = v.text(),
    },
    OptionDef {
        name: "enrich_batch",
        kind: Kind::Whole { min: 1, max: ANY },
        doc: "attributes described per enrichment call (1: the report's way)",
        get: |o| OptValue::Whole(o.enrich_batch as u64),
        set: |o, v| o.enrich_batch = v.whole() as usize,
    },
    OptionDef {
        name: "label_batch",
        kind: Kind::Whole { min: 1, max: ANY },
        doc: "clusters labelled per call (1: Appendix B verbatim)",
        get: |o| OptValue::Whole(o.label_batch as u64),
        set: |o, v| o.label_batch = v.whole() as usize,
    },
    OptionDef {
        name: "mix_modalities",
        kind: Kind::Bool,
        doc: "one classification call may hold targets of several modalities",
        get: |o| OptValue::Bool(o.mix_modalities),
        set: |o, v| o.mix_modalities = v.bool(),
    },
];
