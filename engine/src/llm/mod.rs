//! The LLM layer: prompts, reply parsing, backends (OpenAI-compatible HTTP and
//! an offline oracle simulator) and the call runner (concurrency, retries,
//! budget). Strategies (`generate`) build [`Request`]s, run them with
//! [`run_calls`] and journal the replies.

pub(crate) mod backend;
pub(crate) mod batch;
pub(crate) mod cluster_tasks;
pub(crate) mod oracle;
pub(crate) mod parse;
pub(crate) mod prompt;
pub(crate) mod proxy;
pub(crate) mod rate;
pub(crate) mod runner;
pub(crate) mod schema;
pub(crate) mod usage;

pub use backend::{Backend, BoxFuture, CallError, OpenAiBackend, Request, Task};
pub use batch::{BatchApi, BatchStatus};
pub use cluster_tasks::{
    ClusterLabel, ClusterTask, ClusterTemplates, parse_descriptions, parse_labels, parse_scores,
};
pub use oracle::{OracleBackend, OracleReference};
pub use parse::{ParseError, SignLabel, parse_numbered, parse_object, parse_signs};
pub use prompt::Template;
pub use proxy::ProxyEnv;
pub use rate::RateGate;
pub use runner::{Call, CallPolicy, EmbedRequest, Meter, Outcome, Parser, Transport, run_calls};
pub use usage::{Pricing, Reply, Usage};
