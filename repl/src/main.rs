//! The `valence` binary: all logic lives in the `valence_repl` library.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    valence_repl::run()
}
