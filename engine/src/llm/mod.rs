//! The LLM layer: prompts, reply parsing, backends (OpenAI-compatible HTTP and
//! an offline oracle simulator) and the call runner (concurrency, retries,
//! budget). Strategies (`generate`) build [`Request`]s, run them with
//! [`run_calls`] and journal the replies.

pub mod backend;
pub mod batch;
pub mod cluster_tasks;
pub mod oracle;
pub mod parse;
pub mod prompt;
pub mod proxy;
pub mod rate;
pub mod runner;
pub mod schema;
pub mod usage;

pub use backend::{Backend, BoxFuture, CallError, OpenAiBackend, Request, Task};
pub use oracle::{OracleBackend, OracleReference};
pub use parse::{ParseError, SignLabel, parse_numbered, parse_object, parse_signs};
pub use prompt::Template;
pub use proxy::ProxyEnv;
pub use rate::RateGate;
pub use runner::{Call, CallPolicy, EmbedRequest, Meter, Outcome, Parser, Transport, run_calls};
pub use usage::{Pricing, Reply, Usage};
