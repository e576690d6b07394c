//! The command line. Each flag is defined once, below (clap): that
//! definition drives parsing, `--help` and the shell completion scripts
//! (`--completions bash`). sqlite3/DuckDB spell long flags
//! with one dash (`-csv`, `-cmd`, `-readonly`); [`normalize`] rewrites those
//! to the `--` form by looking the name up in the same definitions, so
//! `-csv` is the csv flag and never `-c sv`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgGroup, CommandFactory, Parser};

const AFTER_HELP: &str = "\
Input: -init FILE, then -cmd statements, then -c statements, then FILEs (`-` is standard
input). Standard input is read only when there is no -c and no FILE (or for `-`); if it is a
terminal, the interactive shell starts instead.
Non-interactive runs stop at the first error (-bail is the default; the flag is accepted) and
exit 1; Ctrl-C cancels the running statement, stores nothing of it and exits 130.
Long flags also take one dash, as in sqlite3: -csv, -json, -cmd, -init, -readonly, -echo.";

/// valence: signed marketing-compatibility graphs and the synthetic campaign
/// datasets sampled from them.
#[derive(Parser, Debug, Default)]
#[command(name = "valence", version, about, after_help = AFTER_HELP)]
#[command(group(ArgGroup::new("output").args(["mode", "csv", "json", "markdown", "table"])))]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Database file (created if missing). Without it, an in-memory database.
    /// A first argument ending in `.vql` (or `-`) is a script, not a database.
    pub db: Option<PathBuf>,
    /// Script files to run after the -c statements (`-` reads standard input).
    pub files: Vec<PathBuf>,
    /// Statements to run (repeatable), before any script file. Standard input
    /// is then not read.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "STATEMENTS",
        allow_hyphen_values = true
    )]
    pub commands: Vec<String>,
    /// A statement or dot-command to run first (repeatable); unlike -c, the
    /// interactive shell or standard input still follows.
    #[arg(long, value_name = "STATEMENT", allow_hyphen_values = true)]
    pub cmd: Vec<String>,
    /// Run the statements of FILE before anything else.
    #[arg(long, value_name = "FILE")]
    pub init: Option<PathBuf>,
    /// Output mode: table, csv, json or markdown.
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// Results as CSV (same as --mode csv).
    #[arg(long)]
    pub csv: bool,
    /// Results as one JSON document (same as --mode json).
    #[arg(long)]
    pub json: bool,
    /// Results as markdown tables (same as --mode markdown).
    #[arg(long)]
    pub markdown: bool,
    /// Results as boxed tables (the default).
    #[arg(long)]
    pub table: bool,
    /// Stop at the first error (always the case for -c, files and standard input).
    #[arg(long)]
    pub bail: bool,
    /// Open the database read-only: statements that would write to it are refused.
    #[arg(long)]
    pub readonly: bool,
    /// Print each statement before running it.
    #[arg(long)]
    pub echo: bool,
    /// Print a completion script for SHELL (bash, zsh, fish, elvish,
    /// powershell) and exit, e.g. `valence --completions bash > /etc/bash_completion.d/valence`.
    #[arg(long, value_name = "SHELL")]
    pub completions: Option<clap_complete::Shell>,
}

/// Subcommands (the default, without one, is the shell).
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Serve the database over HTTP: jobs, read-only queries, uploads and
    /// downloads (see README.md, "The service").
    Serve(ServeArgs),
}

const SERVE_AFTER_HELP: &str = "\
Tokens come from --token-file (one per line) and the environment variable VALENCE_TOKENS
(comma-separated); they are never taken from the command line. Without a token the server
only listens on a loopback address. Statements sent over HTTP may name files only inside
--data-dir (none without it) and may not set base_url: the LLM endpoint and key come from
this process's environment (OPENAI_BASE_URL, OPENAI_API_KEY).";

/// `valence serve DB [--listen ADDR] [--data-dir DIR] [--token-file F]`.
#[derive(clap::Args, Debug)]
#[command(after_help = SERVE_AFTER_HELP)]
pub struct ServeArgs {
    /// Database file (created if missing).
    pub db: PathBuf,
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    pub listen: std::net::SocketAddr,
    /// The only directory statements may read or write files in.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// File with the accepted bearer tokens, one per line.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Size limit of an upload (catalogue or edge CSV), in MB.
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub upload_limit_mb: usize,
    /// Size limit of other request bodies, in KB.
    #[arg(long, value_name = "KB", default_value_t = 1024)]
    pub body_limit_kb: usize,
    /// Time limit for a request to start its answer, in seconds.
    #[arg(long, value_name = "S", default_value_t = 300)]
    pub timeout_s: u64,
}

/// The completion script for `shell`, from the same flag definitions.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "valence", &mut out);
    out
}

impl Args {
    /// The output mode asked for (`--mode` or a mode flag); `None` = default.
    pub fn mode_name(&self) -> Option<&str> {
        let flags = [
            (self.csv, "csv"),
            (self.json, "json"),
            (self.markdown, "markdown"),
            (self.table, "table"),
        ];
        self.mode
            .as_deref()
            .or_else(|| flags.iter().find(|(on, _)| *on).map(|(_, m)| *m))
    }
}

/// Long flag names (without dashes) and whether each takes a value.
fn long_flags() -> Vec<(String, bool)> {
    let mut cmd = Args::command();
    cmd.build();
    cmd.get_arguments()
        .filter_map(|a| {
            let takes_value = a.get_num_args().is_some_and(|n| n.takes_values());
            a.get_long().map(|l| (l.to_string(), takes_value))
        })
        .collect()
}

/// Rewrites single-dash long flags (`-csv`, `-cmd X`, `-init=F`) to their
/// `--` form; values of flags that take one are left untouched (`-c '-- x'`).
pub fn normalize(argv: Vec<OsString>) -> Vec<OsString> {
    let longs = long_flags();
    let takes_value = |name: &str| longs.iter().any(|(l, v)| l == name && *v);
    let mut out = Vec::with_capacity(argv.len());
    let mut it = argv.into_iter();
    if let Some(program) = it.next() {
        out.push(program);
    }
    let mut skip_value = false;
    let mut rest = false;
    for arg in it {
        if skip_value || rest {
            skip_value = false;
            out.push(arg);
            continue;
        }
        let Some(s) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if s == "--" {
            rest = true;
            out.push(arg);
            continue;
        }
        let (flag, has_eq) = match s.split_once('=') {
            Some((f, _)) => (f, true),
            None => (s, false),
        };
        let single = flag.strip_prefix('-').filter(|f| !f.starts_with('-'));
        let double = flag.strip_prefix("--");
        let arg = match single {
            Some(name) if name.len() > 1 && longs.iter().any(|(l, _)| l == name) => {
                skip_value = takes_value(name) && !has_eq;
                OsString::from(format!("-{s}"))
            }
            Some("c") => {
                skip_value = true;
                arg
            }
            _ => {
                if let Some(name) = double {
                    skip_value = takes_value(name) && !has_eq;
                }
                arg
            }
        };
        out.push(arg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        let argv = std::iter::once("valence")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        Args::try_parse_from(normalize(argv)).unwrap()
    }

    #[test]
    fn single_dash_long_flags() {
        let a = parse(&["db.vdb", "-csv", "-c", "SHOW GRAPHS;"]);
        assert!(a.csv);
        assert_eq!(a.commands, vec!["SHOW GRAPHS;"]);
        let a = parse(&[
            "-cmd",
            ".mode json",
            "-init",
            "i.vql",
            "-readonly",
            "-echo",
            "-bail",
        ]);
        assert_eq!(a.cmd, vec![".mode json"]);
        assert_eq!(a.init, Some(PathBuf::from("i.vql")));
        assert!(a.readonly && a.echo && a.bail);
        assert_eq!(parse(&["-json"]).mode_name(), Some("json"));
        assert_eq!(parse(&["-mode=markdown"]).mode_name(), Some("markdown"));
    }

    #[test]
    fn values_starting_with_dashes_are_kept() {
        let a = parse(&["-c", "-- a comment\nSHOW GRAPHS;", "-c", "-csv"]);
        assert_eq!(a.commands, vec!["-- a comment\nSHOW GRAPHS;", "-csv"]);
        assert!(!a.csv);
        let a = parse(&["--command", "-json"]);
        assert_eq!(a.commands, vec!["-json"]);
    }

    #[test]
    fn completion_scripts_list_the_flags() {
        let bash = String::from_utf8(completion_script(clap_complete::Shell::Bash)).unwrap();
        for f in [
            "--csv",
            "--json",
            "--readonly",
            "--cmd",
            "--init",
            "--command",
        ] {
            assert!(bash.contains(f), "{f} missing");
        }
        assert_eq!(
            parse(&["-completions", "zsh"]).completions,
            Some(clap_complete::Shell::Zsh)
        );
    }

    #[test]
    fn two_modes_conflict() {
        let argv = ["valence", "-csv", "-json"].map(OsString::from).to_vec();
        assert!(Args::try_parse_from(normalize(argv)).is_err());
    }
}
