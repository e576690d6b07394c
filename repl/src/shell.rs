//! Feeding input to the database: sources (commands, files, standard input)
//! are read line by line; a dot-command is recognised at the start of a
//! statement; statements run one at a time as soon as they are complete.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use valence::{Ctx, Database, DslError};
use valence_dsl::ast::{Span, Statement, StatementKind};

use crate::dot::{self, Dot};
use crate::output::{Out, Sink, WriteFailed, report};
use crate::signal::Signals;
use crate::summary::{Written, export_files, writes_stdout, writes_store};

/// Why a run stops early (the message is already printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A statement or command failed: status 1.
    Error,
    /// Ctrl-C: status 130.
    Interrupted,
    /// `.exit N`.
    Exit(u8),
}

impl From<WriteFailed> for Stop {
    fn from(_: WriteFailed) -> Stop {
        Stop::Error
    }
}

/// Shell state shared by every input source.
pub struct Shell {
    pub db: Database,
    pub out: Out,
    pub timer: bool,
    pub echo: bool,
    pub readonly: bool,
    pub interactive: bool,
    pub signals: Arc<Signals>,
    pub written: Written,
    /// Statement text accumulated until it is complete.
    buffer: String,
    buffer_line: usize,
}

/// The first invalid UTF-8 line of `bytes`: (line number, column in bytes).
fn invalid_utf8_at(bytes: &[u8]) -> Option<(usize, usize)> {
    let e = std::str::from_utf8(bytes).err()?;
    let before = &bytes[..e.valid_up_to()];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.len()
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    Some((line, col))
}

fn utf8_error(origin: &str, line: usize, col: usize) -> String {
    format!(
        "error: {origin}:{line}:{col}: invalid UTF-8 in the input\n  = hint: statements are read as UTF-8 text; convert the file (e.g. iconv -t UTF-8)"
    )
}

/// What a cancelled statement did and did not leave behind.
fn cancelled_message(kind: Option<&StatementKind>) -> String {
    let title = kind.map_or("the statement", |k| k.title());
    match kind {
        Some(StatementKind::Generate(_)) => format!(
            "{title} cancelled (Ctrl-C): no graph version was written; LLM answers already journaled are kept, so re-running the statement resumes"
        ),
        Some(k) if writes_store(k) => {
            format!("{title} cancelled (Ctrl-C): nothing of it was stored")
        }
        Some(StatementKind::ExportGraph { .. } | StatementKind::ExportDataset { .. }) => {
            format!("{title} cancelled (Ctrl-C): no file was written")
        }
        _ => format!("{title} cancelled (Ctrl-C); it writes nothing"),
    }
}

impl Shell {
    pub fn new(db: Database, out: Out, signals: Arc<Signals>) -> Shell {
        Shell {
            db,
            out,
            timer: false,
            echo: false,
            readonly: false,
            interactive: false,
            signals,
            written: Written::default(),
            buffer: String::new(),
            buffer_line: 1,
        }
    }

    /// Runs a script file (its own statement buffer).
    pub fn run_file(&mut self, path: &Path) -> Result<(), Stop> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| {
            report(&format!("error: cannot read {origin}: {e}"));
            Stop::Error
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let (line, col) = invalid_utf8_at(e.as_bytes()).unwrap_or((1, 1));
                report(&utf8_error(&origin, line, col));
                return Err(Stop::Error);
            }
        };
        let saved = (std::mem::take(&mut self.buffer), self.buffer_line);
        let r = self.feed_source(&text, &origin);
        (self.buffer, self.buffer_line) = saved;
        r
    }

    /// Reads statements from a stream (standard input) line by line, running
    /// each as soon as it is complete.
    pub fn run_reader(&mut self, mut input: impl BufRead, origin: &str) -> Result<(), Stop> {
        let mut raw = Vec::new();
        let mut line_no = 0;
        loop {
            raw.clear();
            match input.read_until(b'\n', &mut raw) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    report(&format!("error: cannot read {origin}: {e}"));
                    return Err(Stop::Error);
                }
            }
            line_no += 1;
            let Ok(line) = std::str::from_utf8(&raw) else {
                let (_, col) = invalid_utf8_at(&raw).unwrap_or((1, 1));
                report(&utf8_error(origin, line_no, col));
                return Err(Stop::Error);
            };
            let line = line.trim_end_matches(['\n', '\r']);
            self.feed_line(line, line_no, origin)?;
        }
        self.flush_buffer(origin)
    }

    /// Feeds a whole source (command, file): line by line.
    pub fn feed_source(&mut self, text: &str, origin: &str) -> Result<(), Stop> {
        for (i, line) in text.lines().enumerate() {
            self.feed_line(line, i + 1, origin)?;
        }
        self.flush_buffer(origin)
    }

    /// Runs what is left at the end of a source: the last statement may omit its `;`.
    pub fn flush_buffer(&mut self, origin: &str) -> Result<(), Stop> {
        if self.buffer.trim().is_empty() {
            self.buffer.clear();
            return Ok(());
        }
        self.run_buffer(origin)
    }

    /// Drops a partly typed statement (interactive Ctrl-C or error).
    pub fn clear_buffer(&mut self) {
        self.buffer.clear();
    }

    pub fn buffer_is_empty(&self) -> bool {
        self.buffer.trim().is_empty()
    }

    pub fn feed_line(&mut self, line: &str, line_no: usize, origin: &str) -> Result<(), Stop> {
        if self.buffer.trim().is_empty() && line.trim_start().starts_with('.') {
            self.buffer.clear();
            return self.dot(line, line_no, origin);
        }
        if self.buffer.trim().is_empty() {
            self.buffer.clear();
            self.buffer_line = line_no;
        }
        self.buffer.push_str(line);
        self.buffer.push('\n');
        if valence::is_complete(&self.buffer) {
            self.run_buffer(origin)?;
        }
        Ok(())
    }

    fn run_buffer(&mut self, origin: &str) -> Result<(), Stop> {
        let text = std::mem::take(&mut self.buffer);
        // The buffer starts on line `buffer_line` of its source: errors
        // report that source's lines, and each statement is parsed alone
        // (linear in the input, however many statements a buffer holds).
        let script = match valence::Script::new(&text, self.buffer_line) {
            Ok(s) => s,
            Err(e) => return Err(self.fail(&e, (&text, self.buffer_line), origin)),
        };
        for chunk in script.chunks() {
            self.run_statement(&script, chunk, origin)?;
        }
        Ok(())
    }

    fn ctx(&self) -> Ctx {
        let progress: Arc<dyn valence::Progress> = if self.interactive {
            Arc::new(crate::progress::Bar::default())
        } else {
            Arc::new(valence::NoProgress)
        };
        Ctx {
            cancel: self.signals.cancel.clone(),
            progress,
        }
    }

    /// Checks done before a statement runs: `-readonly`, `-echo`.
    fn before(
        &mut self,
        script: &valence::Script<'_>,
        text: &str,
        parsed: &[Statement],
        origin: &str,
    ) -> Result<(), Stop> {
        if self.readonly
            && let Some(st) = parsed.iter().find(|s| writes_store(&s.kind))
        {
            let e = DslError::semantic(
                format!(
                    "the database is open read-only (-readonly): {} would write to it",
                    st.kind.title()
                ),
                st.span,
            )
            .hint("run valence without -readonly to change the database");
            return Err(self.fail(&e, (script.src(), script.first_line()), origin));
        }
        if self.echo {
            self.out.text(&format!("{}\n", text.trim()))?;
        }
        Ok(())
    }

    /// Reports `e`, whose spans are in `src` (a text starting on line
    /// `first_line` of `origin`).
    fn fail(&mut self, e: &DslError, (src, first_line): (&str, usize), origin: &str) -> Stop {
        report(&e.render_from(src, first_line, origin));
        let loc = e.span.map(|s| format!("{origin}:{}:{}", s.line, s.col));
        match self.out.error(&e.message, loc.as_deref(), Some(e.code())) {
            Ok(()) => Stop::Error,
            Err(w) => w.into(),
        }
    }

    /// Runs one statement of `script`, reporting positions in its source.
    /// An export whose data goes to standard output (where results are
    /// printed) has what it prints sent to standard error instead.
    fn run_statement(
        &mut self,
        script: &valence::Script<'_>,
        chunk: valence::Chunk,
        origin: &str,
    ) -> Result<(), Stop> {
        let parsed = script.parse_chunk(chunk).unwrap_or_default();
        self.refuse_export_onto_output(&parsed, origin)?;
        if self.out.on_stdout() && parsed.iter().any(|s| writes_stdout(&s.kind)) {
            self.out.begin_data_statement()?;
        }
        let r = self.run_parsed(script, chunk, &parsed, origin);
        self.out.end_data_statement();
        r
    }

    /// An EXPORT onto the very file `.output` sends results to would be
    /// renamed over it: the shell would go on writing into the replaced
    /// file and lose every result after it. Refused before it runs.
    fn refuse_export_onto_output(
        &mut self,
        parsed: &[Statement],
        origin: &str,
    ) -> Result<(), Stop> {
        use std::os::unix::fs::MetadataExt;
        let Some((file, name)) = self.out.sink_file() else {
            return Ok(());
        };
        let Ok(sink) = file.metadata() else {
            return Ok(());
        };
        for s in parsed {
            for f in export_files(&s.kind) {
                let same = std::fs::metadata(&f)
                    .is_ok_and(|m| m.dev() == sink.dev() && m.ino() == sink.ino());
                if same {
                    let msg = format!(
                        "{} would write '{}', the file .output sends results to ({name}): it would \
                         be replaced under the shell and the results after it lost",
                        s.kind.title(),
                        f.display()
                    );
                    report(&format!(
                        "error: {msg}\n --> {origin}:{}:{}\n  = hint: export to another path, or \
                         send results elsewhere first (.output, or .output FILE)",
                        s.span.line, s.span.col
                    ));
                    self.out.error(
                        &msg,
                        Some(&format!("{origin}:{}", s.span.line)),
                        Some("bad_target"),
                    )?;
                    return Err(Stop::Error);
                }
            }
        }
        Ok(())
    }

    fn run_parsed(
        &mut self,
        script: &valence::Script<'_>,
        chunk: valence::Chunk,
        parsed: &[Statement],
        origin: &str,
    ) -> Result<(), Stop> {
        let src = script.src();
        // Keep the `;` in the echo: it is part of the statement.
        let end = if src[chunk.end..].starts_with(';') {
            chunk.end + 1
        } else {
            chunk.end
        };
        self.before(script, &src[chunk.start..end], parsed, origin)?;
        let ctx = self.ctx();
        self.signals.begin();
        let started = Instant::now();
        let mut write_failed = false;
        let (out, written, timer) = (&mut self.out, &mut self.written, self.timer);
        let r = self
            .db
            .execute_chunk(script, chunk, &ctx, |stmt, result| {
                ctx.progress.finish();
                written.record(stmt, &result);
                let mut ok = out.result(&stmt.text, &result).is_ok();
                if ok && timer {
                    let t = format!("Run Time: {:.3}s\n", started.elapsed().as_secs_f64());
                    ok = out.text(&t).is_ok();
                }
                write_failed |= !ok;
                ok
            })
            .map(|_| ());
        self.signals.end();
        ctx.progress.finish();
        if self.interactive && self.out.per_statement {
            self.out.end_document()?;
        }
        match r {
            Ok(()) if write_failed => Err(Stop::Error),
            Ok(()) if self.signals.interrupted() && !self.interactive => {
                let title = parsed.first().map_or("the statement", |s| s.kind.title());
                report(&format!(
                    "interrupted (Ctrl-C): {title} had finished; nothing after it ran"
                ));
                Err(Stop::Interrupted)
            }
            Ok(()) => Ok(()),
            Err(e) if e.kind() == valence::ErrorKind::Cancelled => {
                let at = e.position();
                let kind = parsed
                    .iter()
                    .rev()
                    .find(|s| at.is_some_and(|(l, c)| (l, c) >= (s.span.line, s.span.col)))
                    .or(parsed.first())
                    .map(|s| &s.kind);
                let mut msg = cancelled_message(kind);
                // Work that keeps running elsewhere (a provider's batch):
                // which, and how a re-run picks it up.
                if let Some((what, how)) = e.engine_error().and_then(|x| x.left_running()) {
                    msg = format!("{msg}\n  {what}\n  = hint: {how}");
                }
                let line = at.map_or(0, |(l, _)| l);
                report(&format!("interrupted: {msg}\n --> {origin}:{line}"));
                self.out
                    .error(&msg, Some(&format!("{origin}:{line}")), Some(e.code()))?;
                Err(Stop::Interrupted)
            }
            Err(valence::Error::Query(e)) => Err(self.fail(&e, (src, script.first_line()), origin)),
            Err(e) => {
                report(&e.render(src, origin));
                self.out.error(&e.to_string(), None, Some(e.code()))?;
                Err(Stop::Error)
            }
        }
    }

    /// A dot-command error, pointing at the command's line.
    fn dot_error(&mut self, msg: String, line: &str, line_no: usize, origin: &str) -> Stop {
        let src = format!("{}{line}", "\n".repeat(line_no.saturating_sub(1)));
        let indent = line.len() - line.trim_start().len();
        let start = src.len() - line.len() + indent;
        let span = Span {
            start,
            end: start + line.trim().len(),
            line: line_no,
            col: indent + 1,
        };
        self.fail(&DslError::semantic(msg, span), (&src, 1), origin)
    }

    fn dot(&mut self, line: &str, line_no: usize, origin: &str) -> Result<(), Stop> {
        let cmd = match dot::parse(line) {
            Ok(c) => c,
            Err(msg) => return Err(self.dot_error(msg, line, line_no, origin)),
        };
        match cmd {
            Dot::Help(topic) => self.out.text(&dot::help(topic.as_deref()))?,
            Dot::Exit(n) => return Err(Stop::Exit(n)),
            Dot::Read(f) => self.run_file(Path::new(&f))?,
            Dot::Mode(None) => {
                let m = format!("{:?}", self.out.mode()).to_lowercase();
                self.out.text(&format!("current output mode: {m}\n"))?;
            }
            Dot::Mode(Some(m)) => self.out.set_mode(m)?,
            Dot::Timer(on) => self.timer = on,
            Dot::Output(None) => self.out.redirect(Sink::Stdout)?,
            Dot::Output(Some(f)) => match std::fs::File::create(&f) {
                Ok(file) => self
                    .out
                    .redirect(Sink::File(std::io::BufWriter::new(file), f))?,
                Err(e) => {
                    let msg = format!("cannot open {f} for writing: {e}");
                    return Err(self.dot_error(msg, line, line_no, origin));
                }
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(stmt: &str) -> String {
        let parsed = valence::parse_script(stmt).unwrap();
        cancelled_message(parsed.first().map(|s| &s.kind))
    }

    #[test]
    fn cancel_messages_fit_the_statement() {
        let g = message("GENERATE GRAPH g FROM c USING BRUTE_FORCE;");
        assert!(g.contains("journaled"), "{g}");
        for s in [
            "IMPORT GRAPH g FROM 'e.csv';",
            "LOAD CATALOGUE c FROM 'c.csv';",
            "SAMPLE 10 FROM g TYPES (a [1,1]) WHERE pos_frac IN [0, 1] INTO d;",
        ] {
            let m = message(s);
            assert!(m.contains("nothing of it was stored"), "{m}");
            assert!(!m.contains("LLM") && !m.contains("journal"), "{m}");
        }
        let d = message("DIAGNOSE g TYPES (a [1,1]);");
        assert_eq!(d, "DIAGNOSE cancelled (Ctrl-C); it writes nothing");
    }

    #[test]
    fn invalid_utf8_position() {
        assert_eq!(invalid_utf8_at(b"ab\ncd\xffe"), Some((2, 3)));
        assert_eq!(invalid_utf8_at(b"fine"), None);
    }
}
