//! The one integration-test binary of the workspace (ripgrep style): each
//! topic is a module. Run with `cargo test --workspace`.

mod api;
mod cli;
mod cluster_gen;
mod common;
mod crash;
mod dataset_check;
mod export;
mod fixture_shapes;
mod fuzz;
mod hardening;
mod hardening_llm;
mod import_memory;
mod leaderboard;
mod llm;
mod llm_batch;
mod llm_batch_server;
mod llm_cluster_server;
mod llm_economy;
mod llm_journaled;
mod llm_prompts;
mod llm_server;
mod readonly;
mod reserved_names;
mod select_check;
mod serve;
mod shell;
mod storage;
