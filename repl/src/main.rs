//! The `valence` binary: all logic lives in the `valence_repl` library.

fn main() -> std::process::ExitCode {
    valence_repl::run()
}
