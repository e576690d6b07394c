//! Where results go, in which mode: standard output or a `.output` file,
//! one JSON document per run in json mode, titled sections in csv and
//! markdown modes. Write failures (a full disk, `/dev/full`) are reported
//! once and stop the run; standard error never panics.
//!
//! A statement that exports to standard output (`/dev/stdout`, or the file
//! standard output is redirected to) owns that stream while it runs: its
//! echo, result table and timing go to standard error, in the current mode
//! (in json mode as a JSON document of their own), so `valence ... >
//! data.csv` holds the data and nothing else.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use valence::{Mode, QueryResult, render};

/// Set when a message could not be written to standard error.
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// A JSON document is open on standard output (so an exit on Ctrl-C can
/// still close it).
static STDOUT_JSON_OPEN: AtomicBool = AtomicBool::new(false);

/// Closes an open JSON document on standard output with a last
/// `{"error": ...}` element; for exits that bypass the shell (Ctrl-C while
/// waiting on standard input).
pub fn close_stdout_json(message: &str) {
    if STDOUT_JSON_OPEN.swap(false, Ordering::SeqCst) {
        let mut o = std::io::stdout().lock();
        let item = render::json_error(message, None, None);
        let _ = write!(o, ",\n{item}\n]\n").and_then(|_| o.flush());
    }
}

/// Prints a line on standard error; a failure (full device, closed stream)
/// is remembered for the exit status instead of panicking like `eprintln!`.
pub fn report(msg: &str) {
    let mut e = std::io::stderr().lock();
    if writeln!(e, "{msg}").and_then(|_| e.flush()).is_err() {
        STDERR_FAILED.store(true, Ordering::SeqCst);
    }
}

/// True when some message could not be written to standard error.
pub fn stderr_failed() -> bool {
    STDERR_FAILED.load(Ordering::SeqCst)
}

/// The destination of results.
pub enum Sink {
    Stdout,
    File(std::io::BufWriter<std::fs::File>, String),
}

impl Sink {
    fn name(&self) -> String {
        match self {
            Sink::Stdout => "standard output".into(),
            Sink::File(_, p) => p.clone(),
        }
    }

    fn write(&mut self, s: &str) -> std::io::Result<()> {
        match self {
            Sink::Stdout => {
                let mut o = std::io::stdout().lock();
                o.write_all(s.as_bytes()).and_then(|_| o.flush())
            }
            Sink::File(f, _) => f.write_all(s.as_bytes()).and_then(|_| f.flush()),
        }
    }
}

/// A statement's text on one line, cut to 80 characters: the title of its
/// result in csv and markdown modes.
fn heading(statement: &str) -> String {
    let one = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 80 {
        format!("{}…", one.chars().take(79).collect::<String>())
    } else {
        one
    }
}

/// A write failed (already reported on standard error).
#[derive(Debug)]
pub struct WriteFailed;

/// Results printer: sink, mode and the state of the current document.
pub struct Out {
    sink: Sink,
    mode: Mode,
    /// Each statement's JSON is its own document (interactive shell).
    pub per_statement: bool,
    /// Table mode: fit tables to this many terminal columns.
    pub width: Option<usize>,
    /// `[` written and not yet closed.
    json_open: bool,
    /// Tables written to this sink since the last mode change.
    sections: usize,
    /// A broken pipe: the reader went away; stop writing, quietly.
    closed: bool,
    /// The running statement writes its data to standard output.
    data_statement: bool,
    /// Some statement of the run wrote its data to standard output.
    pub stdout_had_data: bool,
}

impl Out {
    pub fn new(mode: Mode) -> Out {
        Out {
            sink: Sink::Stdout,
            mode,
            per_statement: false,
            width: None,
            json_open: false,
            sections: 0,
            closed: false,
            data_statement: false,
            stdout_had_data: false,
        }
    }

    /// Results are printed on standard output (no `.output` file).
    pub fn on_stdout(&self) -> bool {
        matches!(self.sink, Sink::Stdout)
    }

    /// The file `.output` sends results to, and its name (`None` on
    /// standard output).
    pub fn sink_file(&self) -> Option<(&std::fs::File, &str)> {
        match &self.sink {
            Sink::File(w, name) => Some((w.get_ref(), name)),
            Sink::Stdout => None,
        }
    }

    /// A statement that writes its data to standard output starts: a JSON
    /// document open there is closed first (the data must not land inside
    /// it), and what the statement prints goes to standard error until
    /// [`Out::end_data_statement`].
    pub fn begin_data_statement(&mut self) -> Result<(), WriteFailed> {
        self.end_document()?;
        self.data_statement = true;
        self.stdout_had_data = true;
        Ok(())
    }

    pub fn end_data_statement(&mut self) {
        self.data_statement = false;
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn raw(&mut self, s: &str) -> Result<(), WriteFailed> {
        if self.closed || s.is_empty() {
            return Ok(());
        }
        match self.sink.write(s) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => {
                self.closed = true;
                report(&format!(
                    "error: cannot write results to {}: {e}",
                    self.sink.name()
                ));
                Err(WriteFailed)
            }
        }
    }

    /// Free text (`.help`, `-echo`, `.mode`): not part of a JSON document,
    /// so in json mode it goes to standard error.
    pub fn text(&mut self, s: &str) -> Result<(), WriteFailed> {
        if self.mode == Mode::Json || self.data_statement {
            report(s.trim_end_matches('\n'));
            Ok(())
        } else {
            self.raw(s)
        }
    }

    fn json_item(&mut self, item: &str) -> Result<(), WriteFailed> {
        let sep = if self.json_open { ",\n" } else { "[\n" };
        self.json_open = true;
        let r = self.raw(&format!("{sep}{item}"));
        if matches!(self.sink, Sink::Stdout) {
            STDOUT_JSON_OPEN.store(!self.closed, Ordering::SeqCst);
        }
        r
    }

    /// One statement's result.
    pub fn result(&mut self, statement: &str, r: &QueryResult) -> Result<(), WriteFailed> {
        if self.data_statement {
            report(self.render_alone(statement, r).trim_end_matches('\n'));
            return Ok(());
        }
        if self.mode == Mode::Json {
            for t in &r.tables {
                let title = t.title.as_deref().unwrap_or(r.statement);
                self.json_item(&render::json_table(statement, title, t))?;
            }
            if self.per_statement {
                self.end_document()?;
            }
            return Ok(());
        }
        let mut s = String::new();
        let heading = heading(statement);
        for t in &r.tables {
            let first = self.sections == 0;
            s.push_str(&render::render_section(
                t, &heading, self.mode, first, self.width,
            ));
            self.sections += 1;
        }
        self.raw(&s)
    }

    /// `r` as a document of its own (json mode) or as a first section.
    fn render_alone(&self, statement: &str, r: &QueryResult) -> String {
        if self.mode == Mode::Json {
            let items: Vec<String> = r
                .tables
                .iter()
                .map(|t| {
                    render::json_table(statement, t.title.as_deref().unwrap_or(r.statement), t)
                })
                .collect();
            return format!("[\n{}\n]\n", items.join(",\n"));
        }
        let heading = heading(statement);
        r.tables
            .iter()
            .enumerate()
            .map(|(i, t)| render::render_section(t, &heading, self.mode, i == 0, self.width))
            .collect()
    }

    /// An error: on standard error always (by the caller); in json mode also
    /// as the document's last element, unless the statement's data went to
    /// standard output (the message on standard error is then all).
    pub fn error(
        &mut self,
        message: &str,
        location: Option<&str>,
        code: Option<&str>,
    ) -> Result<(), WriteFailed> {
        if self.mode == Mode::Json && !self.data_statement {
            self.json_item(&render::json_error(message, location, code))?;
            if self.per_statement {
                self.end_document()?;
            }
        }
        Ok(())
    }

    /// Closes the JSON document, if one is open.
    pub fn end_document(&mut self) -> Result<(), WriteFailed> {
        if self.json_open {
            self.json_open = false;
            if matches!(self.sink, Sink::Stdout) {
                STDOUT_JSON_OPEN.store(false, Ordering::SeqCst);
            }
            self.raw("\n]\n")?;
        }
        Ok(())
    }

    pub fn set_mode(&mut self, mode: Mode) -> Result<(), WriteFailed> {
        if mode != self.mode {
            self.end_document()?;
            self.sections = 0;
        }
        self.mode = mode;
        Ok(())
    }

    /// Sends results elsewhere (`.output`), closing the current document.
    pub fn redirect(&mut self, sink: Sink) -> Result<(), WriteFailed> {
        self.end_document()?;
        self.sink = sink;
        self.sections = 0;
        self.closed = false;
        Ok(())
    }
}
