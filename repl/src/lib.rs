//! The `valence` shell: command line, REPL, dot-commands, output modes.
//! Terminal concerns only; every statement runs through the `valence` crate.

mod complete;
pub mod dot;
mod progress;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::Parser;
use valence::{Ctx, Database, Mode};

use dot::Dot;

/// valence: signed marketing-compatibility graphs and the synthetic campaign
/// datasets sampled from them.
#[derive(Parser, Debug)]
#[command(name = "valence", version, about)]
pub struct Args {
    /// Database file (created if missing). Without it, an in-memory database.
    /// A first argument ending in `.vql` is taken as a script, not a database.
    pub db: Option<PathBuf>,
    /// Statements to run (repeatable), before any script file.
    #[arg(short = 'c', long = "command", value_name = "STATEMENTS")]
    pub commands: Vec<String>,
    /// Script files to run after the -c statements.
    pub files: Vec<PathBuf>,
    /// Output mode: table, csv, json or markdown.
    #[arg(long, default_value = "table")]
    pub mode: String,
}

/// Parses the command line and runs; the process exit code.
pub fn run() -> ExitCode {
    let mut args = Args::parse();
    if let Some(db) = &args.db
        && db.extension().is_some_and(|e| e == "vql")
    {
        let script = args.db.take().unwrap_or_default();
        args.files.insert(0, script);
    }
    match run_with(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Where results go.
enum Sink {
    Stdout,
    File(std::io::BufWriter<std::fs::File>),
}

impl Sink {
    fn write(&mut self, s: &str) {
        let r = match self {
            Sink::Stdout => {
                let mut o = std::io::stdout().lock();
                o.write_all(s.as_bytes()).and_then(|_| o.flush())
            }
            Sink::File(f) => f.write_all(s.as_bytes()).and_then(|_| f.flush()),
        };
        if let Err(e) = r
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("error: cannot write output: {e}");
        }
    }
}

/// Shell state shared by every input source.
pub struct Shell {
    db: Database,
    mode: Mode,
    timer: bool,
    sink: Sink,
    interactive: bool,
    cancel: Arc<AtomicBool>,
    /// Statement text accumulated until it is complete.
    buffer: String,
    buffer_line: usize,
    quit: bool,
}

/// What went wrong in a non-interactive run (already printed).
struct Failed;

fn run_with(args: Args) -> anyhow::Result<ExitCode> {
    let mode = Mode::parse(&args.mode).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown mode '{}': use table, csv, json or markdown",
            args.mode
        )
    })?;
    let db = match &args.db {
        Some(p) => Database::open(p),
        None => Database::in_memory(),
    };
    let db = match db {
        Ok(db) => db,
        Err(e) => {
            // The message, then the hint on its own line.
            eprintln!("{}", e.render("", ""));
            return Ok(ExitCode::from(1));
        }
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let stdin_tty = std::io::stdin().is_terminal();
    let interactive = stdin_tty && args.commands.is_empty() && args.files.is_empty();
    if !interactive {
        install_ctrl_c(&cancel);
    }
    let mut shell = Shell {
        db,
        mode,
        timer: false,
        sink: Sink::Stdout,
        interactive: false,
        cancel,
        buffer: String::new(),
        buffer_line: 1,
        quit: false,
    };
    for c in &args.commands {
        if shell.feed_source(c, "<command>").is_err() {
            return Ok(ExitCode::from(1));
        }
    }
    for f in &args.files {
        if shell.run_file(f).is_err() {
            return Ok(ExitCode::from(1));
        }
    }
    if !stdin_tty {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            eprintln!("error: cannot read standard input: {e}");
            return Ok(ExitCode::from(1));
        }
        if shell.feed_source(&s, "<stdin>").is_err() {
            return Ok(ExitCode::from(1));
        }
    } else if args.commands.is_empty() && args.files.is_empty() {
        shell.interactive = true;
        shell.repl()?;
    }
    Ok(ExitCode::SUCCESS)
}

impl Shell {
    fn run_file(&mut self, path: &std::path::Path) -> Result<(), Failed> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            eprintln!("error: cannot read {}: {e}", path.display());
            Failed
        })?;
        let saved = (std::mem::take(&mut self.buffer), self.buffer_line);
        let r = self.feed_source(&text, &path.display().to_string());
        (self.buffer, self.buffer_line) = saved;
        r
    }

    /// Feeds a whole source (command, file, stdin): line by line, dot-commands
    /// at the start of a statement, statements run as they complete.
    fn feed_source(&mut self, text: &str, origin: &str) -> Result<(), Failed> {
        for (i, line) in text.lines().enumerate() {
            if self.quit {
                return Ok(());
            }
            self.feed_line(line, i + 1, origin)?;
        }
        if !self.buffer.trim().is_empty() {
            // The last statement may omit its `;`.
            self.run_buffer(origin)?;
        }
        Ok(())
    }

    fn feed_line(&mut self, line: &str, line_no: usize, origin: &str) -> Result<(), Failed> {
        if self.buffer.trim().is_empty() && line.trim_start().starts_with('.') {
            self.buffer.clear();
            return self.dot(line);
        }
        if self.buffer.is_empty() {
            self.buffer_line = line_no;
        }
        self.buffer.push_str(line);
        self.buffer.push('\n');
        if valence::is_complete(&self.buffer) {
            self.run_buffer(origin)?;
        }
        Ok(())
    }

    fn run_buffer(&mut self, origin: &str) -> Result<(), Failed> {
        let text = std::mem::take(&mut self.buffer);
        if text.trim().is_empty() {
            return Ok(());
        }
        // Pad so that reported lines are those of the source.
        let src = format!(
            "{}{}",
            "\n".repeat(self.buffer_line.saturating_sub(1)),
            text
        );
        self.run_statements(&src, origin)
    }

    fn ctx(&self) -> Ctx {
        self.cancel.store(false, Ordering::SeqCst);
        let progress: Arc<dyn valence::Progress> = if self.interactive {
            Arc::new(progress::Bar::default())
        } else {
            Arc::new(valence::engine::NoProgress)
        };
        Ctx {
            cancel: self.cancel.clone(),
            progress,
        }
    }

    fn run_statements(&mut self, src: &str, origin: &str) -> Result<(), Failed> {
        let ctx = self.ctx();
        let mut started = Instant::now();
        let (mode, timer) = (self.mode, self.timer);
        let sink = &mut self.sink;
        let progress = ctx.progress.clone();
        let r = self.db.execute_with(src, &ctx, |_, result| {
            progress.finish();
            let mut s = valence::render::render(&result, mode);
            if timer {
                s.push_str(&format!(
                    "Run Time: {:.3}s\n",
                    started.elapsed().as_secs_f64()
                ));
            }
            sink.write(&s);
            started = Instant::now();
            true
        });
        // A failed or cancelled statement may leave its bar drawn.
        ctx.progress.finish();
        match r {
            Ok(()) => Ok(()),
            Err(e) => {
                eprintln!("{}", e.render(src, origin));
                Err(Failed)
            }
        }
    }

    fn dot(&mut self, line: &str) -> Result<(), Failed> {
        let cmd = match dot::parse(line) {
            Ok(c) => c,
            Err(msg) => {
                eprintln!("error: {msg}");
                return Err(Failed);
            }
        };
        match cmd {
            Dot::Help => self.sink.write(dot::HELP),
            Dot::Quit => self.quit = true,
            Dot::Read(f) => self.run_file(std::path::Path::new(&f))?,
            Dot::Mode(None) => {
                let m = format!("{:?}", self.mode).to_lowercase();
                self.sink.write(&format!("current output mode: {m}\n"));
            }
            Dot::Mode(Some(m)) => self.mode = m,
            Dot::Timer(on) => self.timer = on,
            Dot::Output(None) => self.sink = Sink::Stdout,
            Dot::Output(Some(f)) => match std::fs::File::create(&f) {
                Ok(file) => self.sink = Sink::File(std::io::BufWriter::new(file)),
                Err(e) => {
                    eprintln!("error: cannot open {f} for writing: {e}");
                    return Err(Failed);
                }
            },
        }
        Ok(())
    }

    fn repl(&mut self) -> anyhow::Result<()> {
        use rustyline::error::ReadlineError;
        let mut rl = rustyline::Editor::<ReplHelper, rustyline::history::DefaultHistory>::new()?;
        rl.set_helper(Some(ReplHelper {
            db: self.db.clone(),
        }));
        // After the editor: rustyline installs its own SIGINT handler when it
        // is created; ours must win so Ctrl-C during a statement cancels it
        // (at the prompt, raw mode turns Ctrl-C into a key, not a signal).
        install_ctrl_c(&self.cancel);
        let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".valence_history"));
        if let Some(h) = &history {
            let _ = rl.load_history(h);
        }
        println!(
            "valence {} — type .help for help, .quit to leave; statements end with ;",
            env!("CARGO_PKG_VERSION")
        );
        let mut line_no = 0usize;
        while !self.quit {
            match rl.readline("valence> ") {
                Ok(input) => {
                    if !input.trim().is_empty() {
                        let _ = rl.add_history_entry(input.as_str());
                    }
                    // Errors are printed; the shell goes on.
                    for line in input.lines() {
                        // Lines count from the start of the statement being typed.
                        if self.buffer.trim().is_empty() {
                            line_no = 0;
                        }
                        line_no += 1;
                        if self.feed_line(line, line_no, "<input>").is_err() {
                            self.buffer.clear();
                            break;
                        }
                    }
                    if !self.buffer.trim().is_empty() {
                        let _ = self.run_buffer("<input>");
                    }
                }
                Err(ReadlineError::Interrupted) => {
                    self.buffer.clear();
                    continue;
                }
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(h) = &history {
            let _ = rl.save_history(h);
        }
        Ok(())
    }
}

/// Ctrl-C sets the cancellation flag of the running statement, not kill the shell.
fn install_ctrl_c(cancel: &Arc<AtomicBool>) {
    let c = cancel.clone();
    if let Err(e) = ctrlc::set_handler(move || c.store(true, Ordering::SeqCst)) {
        eprintln!("warning: Ctrl-C will not cancel statements: {e}");
    }
}

/// Multi-line editing: Enter continues the statement until it ends with `;`.
/// Tab completes keywords, dot-commands and stored names.
#[derive(rustyline::Helper, rustyline::Hinter, rustyline::Highlighter)]
struct ReplHelper {
    db: Database,
}

impl rustyline::completion::Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(complete::candidates(Some(&self.db), line, pos))
    }
}

impl rustyline::validate::Validator for ReplHelper {
    fn validate(
        &self,
        ctx: &mut rustyline::validate::ValidationContext<'_>,
    ) -> rustyline::Result<rustyline::validate::ValidationResult> {
        use rustyline::validate::ValidationResult;
        let input = ctx.input();
        if input.trim_start().starts_with('.')
            || input.trim().is_empty()
            || valence::is_complete(input)
        {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}
