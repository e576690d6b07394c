//! The `valence` shell: command line, REPL, dot-commands, output modes.
//! Terminal concerns only; every statement runs through the `valence` crate.
//!
//! Like sqlite3: `-c` statements and script files never read standard input
//! (only `-` or no statements at all do); non-interactive runs stop at the
//! first error (status 1) or at Ctrl-C (status 130, nothing of the cancelled
//! statement stored).

#![forbid(unsafe_code)]

pub mod args;
mod complete;
pub mod dot;
mod interactive;
mod output;
mod progress;
mod shell;
mod signal;
mod summary;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use valence::{Database, Mode};

pub use args::Args;
use output::{Out, report};
use shell::{Shell, Stop};
use signal::Signals;

/// Parses the command line and runs; the process exit code.
pub fn run() -> ExitCode {
    let argv = args::normalize(std::env::args_os().collect());
    let code = match Args::try_parse_from(argv) {
        Ok(args) => run_with(args),
        Err(e) => {
            // --help / --version go to stdout, usage errors to stderr; a
            // failed write is an error status, never a panic.
            let code = if e.use_stderr() { 2 } else { 0 };
            let tty = if e.use_stderr() {
                std::io::stderr().is_terminal()
            } else {
                std::io::stdout().is_terminal()
            };
            let styled = e.render();
            let text = if tty {
                styled.ansi().to_string()
            } else {
                styled.to_string()
            };
            if e.use_stderr() {
                report(text.trim_end());
                code
            } else {
                print_stdout(text.as_bytes()).max(code)
            }
        }
    };
    if code == 0 && output::stderr_failed() {
        return ExitCode::from(1);
    }
    ExitCode::from(code)
}

/// `valence serve`: runs the HTTP service until Ctrl-C or SIGTERM.
fn serve(a: args::ServeArgs) -> u8 {
    let tokens = match valence_server::read_tokens(a.token_file.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            report(&format!("error: {e:#}"));
            return 1;
        }
    };
    let mut cfg = valence_server::Config::new(a.db);
    cfg.listen = a.listen;
    cfg.data_dir = a.data_dir;
    cfg.tokens = tokens;
    cfg.upload_limit = a.upload_limit_mb.saturating_mul(1 << 20);
    cfg.body_limit = a.body_limit_kb.saturating_mul(1 << 10);
    cfg.request_timeout = std::time::Duration::from_secs(a.timeout_s);
    valence_server::init_logging();
    match valence_server::run_blocking(cfg) {
        Ok(()) => 0,
        Err(e) => {
            report(&format!("error: {e:#}"));
            1
        }
    }
}

/// The terminal's width for table mode: `COLUMNS`, else the terminal's own
/// size when standard output is one; `None` (no limit) for pipes and files.
fn terminal_width() -> Option<usize> {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(c);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // `console` (already here through indicatif) asks the terminal (TIOCGWINSZ
    // on Unix, the console API on Windows); `None` when it cannot tell.
    let (_rows, cols) = console::Term::stdout().size_checked()?;
    Some(usize::from(cols))
}

fn open_db(args: &Args) -> Result<Database, String> {
    match &args.db {
        Some(p) if args.readonly && !p.exists() => Err(format!(
            "error: cannot open {} read-only: no such file\n  = hint: -readonly opens an existing database; drop -readonly to create one",
            p.display()
        )),
        // The message, then the hint on its own line. -readonly opens the
        // file read-only: the store itself refuses writes.
        Some(p) if args.readonly => Database::open_read_only(p).map_err(|e| e.render("", "")),
        Some(p) => {
            let db = Database::open(p).map_err(|e| e.render("", ""))?;
            if db.is_read_only() {
                report(&format!(
                    "note: {} is not writable (its permissions or a read-only mount): opened read-only, statements that write will fail",
                    p.display()
                ));
            }
            Ok(db)
        }
        None => Database::in_memory().map_err(|e| e.render("", "")),
    }
}

/// Where the statements come from, in order.
struct Plan {
    init: Option<PathBuf>,
    cmd: Vec<String>,
    commands: Vec<String>,
    /// Script files; `-` is standard input.
    files: Vec<PathBuf>,
    /// Read standard input after everything else.
    stdin: bool,
    interactive: bool,
}

fn plan(args: &mut Args) -> Plan {
    if let Some(db) = &args.db
        && (db.extension().is_some_and(|e| e == "vql") || db.as_os_str() == "-")
    {
        let script = args.db.take().unwrap_or_default();
        args.files.insert(0, script);
    }
    let explicit = !args.commands.is_empty() || !args.files.is_empty();
    let tty = std::io::stdin().is_terminal();
    Plan {
        init: args.init.take(),
        cmd: std::mem::take(&mut args.cmd),
        commands: std::mem::take(&mut args.commands),
        files: std::mem::take(&mut args.files),
        stdin: !explicit && !tty,
        interactive: !explicit && tty,
    }
}

/// Writes bytes to standard output; a failure is reported (status 1).
fn print_stdout(bytes: &[u8]) -> u8 {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    match o.write_all(bytes).and_then(|_| o.flush()) {
        Ok(()) => 0,
        Err(err) => {
            report(&format!("error: cannot write to standard output: {err}"));
            1
        }
    }
}

fn run_with(mut args: Args) -> u8 {
    if let Some(args::Command::Serve(s)) = args.command.take() {
        return serve(s);
    }
    if let Some(shell) = args.completions {
        return print_stdout(&args::completion_script(shell));
    }
    let mode = match args.mode_name().map(|m| (m, Mode::parse(m))) {
        None => Mode::Table,
        Some((_, Some(m))) => m,
        Some((m, None)) => {
            report(&format!(
                "error: unknown mode '{m}': use table, csv, json or markdown"
            ));
            return 1;
        }
    };
    let plan = plan(&mut args);
    let db = match open_db(&args) {
        Ok(db) => db,
        Err(msg) => {
            report(&msg);
            return 1;
        }
    };
    let db_label = args.db.as_ref().map(|p| p.display().to_string());
    let signals = Arc::new(Signals::default());
    let mut out = Out::new(mode);
    if mode == Mode::Table {
        out.width = terminal_width();
    }
    let mut shell = Shell::new(db, out, signals.clone());
    shell.echo = args.echo;
    shell.readonly = args.readonly;
    if plan.interactive {
        let r = interactive::repl(&mut shell, |sh| {
            // Errors in -init / -cmd are printed; the shell starts anyway.
            let _ = run_prelude(sh, &plan);
        });
        return match r {
            Ok(n) => n,
            Err(e) => {
                report(&format!("error: {e:#}"));
                1
            }
        };
    }
    signal::install(&signals);
    let r = run_sources(&mut shell, &plan);
    let closed = shell.out.end_document();
    let code = match r {
        Ok(()) => {
            if !plan.files.is_empty()
                && shell.out.mode() == Mode::Table
                && let Some(s) = shell.written.render(db_label.as_deref())
            {
                // After data on standard output, the summary would end it.
                if shell.out.stdout_had_data && shell.out.on_stdout() {
                    output::report(s.trim_end_matches('\n'));
                } else if shell.out.text(&s).is_err() {
                    return 1;
                }
            }
            0
        }
        Err(Stop::Error) => 1,
        Err(Stop::Interrupted) => signal::INTERRUPTED,
        Err(Stop::Exit(n)) => n,
    };
    if closed.is_err() && code == 0 {
        1
    } else {
        code
    }
}

fn run_prelude(shell: &mut Shell, plan: &Plan) -> Result<(), Stop> {
    if let Some(f) = &plan.init {
        shell.run_file(f)?;
    }
    for c in &plan.cmd {
        shell.feed_source(c, "<cmd>")?;
    }
    Ok(())
}

fn run_sources(shell: &mut Shell, plan: &Plan) -> Result<(), Stop> {
    run_prelude(shell, plan)?;
    for c in &plan.commands {
        shell.feed_source(c, "<command>")?;
    }
    for f in &plan.files {
        if f.as_os_str() == "-" {
            shell.run_reader(std::io::stdin().lock(), "<stdin>")?;
        } else {
            shell.run_file(Path::new(f))?;
        }
    }
    if plan.stdin {
        shell.run_reader(std::io::stdin().lock(), "<stdin>")?;
    }
    Ok(())
}
