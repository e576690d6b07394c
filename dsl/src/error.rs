//! The DSL's error: a message, where it happened (a span in the statement
//! text) and how to fix it. Engine errors are placed by their
//! [`Subject`](valence_engine::Subject) through [`Places`], the one mapping
//! from what an engine error is about to where the statement wrote it.

use valence_engine::{Clause, Subject};

use crate::ast::Span;

/// Which stage failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Parse,
    /// The text parses but means nothing valid (unknown option, bad range...).
    Semantic,
    /// The engine refused or failed.
    Engine,
}

/// A DSL error with its location.
#[derive(Debug)]
pub struct DslError {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Option<Span>,
    pub hint: Option<String>,
    /// The engine error, when the engine raised it.
    pub engine: Option<Box<valence_engine::Error>>,
}

/// Result alias of the DSL crate.
pub type Result<T, E = DslError> = std::result::Result<T, E>;

impl DslError {
    pub fn parse(message: impl Into<String>, span: Span) -> DslError {
        DslError {
            kind: ErrorKind::Parse,
            message: message.into(),
            span: Some(span),
            hint: None,
            engine: None,
        }
    }

    pub fn semantic(message: impl Into<String>, span: Span) -> DslError {
        DslError {
            kind: ErrorKind::Semantic,
            message: message.into(),
            span: Some(span),
            hint: None,
            engine: None,
        }
    }

    pub fn engine(e: valence_engine::Error, span: Span) -> DslError {
        // The engine's Display is the one-line message; its hint prints
        // after the caret.
        DslError {
            kind: ErrorKind::Engine,
            message: e.to_string(),
            span: Some(span),
            hint: e.hint().map(str::to_string),
            engine: Some(Box::new(e)),
        }
    }

    /// The engine error underneath, when the engine raised this error.
    pub fn engine_error(&self) -> Option<&valence_engine::Error> {
        self.engine.as_deref()
    }

    /// The stable code: the engine's [`valence_engine::Error::code`] when the
    /// engine raised the error, else `"syntax"` (the grammar) or
    /// `"statement"` (a statement that parses but asks for something invalid).
    pub fn code(&self) -> &'static str {
        match (self.engine_error(), self.kind) {
            (Some(e), _) => e.code(),
            (None, ErrorKind::Parse) => "syntax",
            (None, _) => "statement",
        }
    }

    /// The hint (how to fix it), kept apart from the one-line message.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Points the error at `span` when it has no place of its own yet.
    pub fn or_at(mut self, span: Span) -> DslError {
        if self.span.is_none_or(|s| s.line == 0) {
            self.span = Some(span);
        }
        self
    }

    pub fn hint(mut self, h: impl Into<String>) -> DslError {
        self.hint = Some(h.into());
        self
    }

    /// Renders the error with the offending source line and a caret, e.g.
    ///
    /// ```text
    /// error: expected a number
    ///  --> script.vql:3:18
    ///   |
    /// 3 | SAMPLE 10 FROM g TYPES (brand [1, x])
    ///   |                                   ^
    ///   = hint: ...
    /// ```
    pub fn render(&self, src: &str, origin: &str) -> String {
        self.render_from(src, 1, origin)
    }

    /// [`Self::render`] for an error of a [`crate::Script`] whose text
    /// starts on line `first_line` of its source (spans carry the source's
    /// lines and byte offsets into `src`).
    pub fn render_from(&self, src: &str, first_line: usize, origin: &str) -> String {
        let mut out = format!("error: {}", self.message);
        if let Some(sp) = self.span {
            let line_text = src
                .lines()
                .nth(sp.line.saturating_sub(first_line.max(1)))
                .unwrap_or("");
            // Same length: the caret stays under the fault.
            let masked = valence_engine::mask_url_secrets(line_text);
            let line_text = masked.as_str();
            let gutter = sp.line.to_string().len();
            let pad = " ".repeat(gutter);
            // Caret width: the span on its first line, at least 1.
            let line_start = src[..sp.start.min(src.len())]
                .rfind('\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            let line_end = line_start + line_text.len();
            let end = sp.end.min(line_end).max(sp.start);
            let width = src
                .get(sp.start..end)
                .map(|s| s.chars().count())
                .unwrap_or(1)
                .max(1);
            let col_chars = src
                .get(line_start..sp.start)
                .map(|s| s.chars().count())
                .unwrap_or(0);
            let (shown, col_chars, width) = clip_line(line_text, col_chars, width);
            out.push_str(&format!(
                "\n{pad}--> {origin}:{}:{}\n{pad} |\n{} | {}\n{pad} | {}{}",
                sp.line,
                sp.col,
                sp.line,
                shown,
                " ".repeat(col_chars),
                "^".repeat(width)
            ));
            if let Some(h) = &self.hint {
                out.push_str(&format!("\n{pad} = hint: {h}"));
            }
        } else if let Some(h) = &self.hint {
            out.push_str(&format!("\n  = hint: {h}"));
        }
        out
    }
}

/// Most characters of a source line an error shows (the line is cut
/// around the caret, with `…` where text was left out).
const SHOWN_CHARS: usize = 200;

/// Cuts a long source line to a window around the caret; returns the text
/// shown and the caret's column and width within it.
fn clip_line(line: &str, col: usize, width: usize) -> (String, usize, usize) {
    let total = line.chars().count();
    if total <= SHOWN_CHARS {
        return (line.to_string(), col, width);
    }
    let width = width.min(SHOWN_CHARS / 2);
    let start = col.saturating_sub(SHOWN_CHARS / 4);
    let end = (start + SHOWN_CHARS).min(total);
    let mut shown: String = line.chars().skip(start).take(end - start).collect();
    let mut caret_col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        caret_col += 1;
    }
    if end < total {
        shown.push_str(&format!("… ({total} characters)"));
    }
    (shown, caret_col, width)
}

/// One line: the message and where (`line:col`); the hint is
/// [`DslError::hint_text`], the caret rendering [`DslError::render`].
impl std::fmt::Display for DslError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(sp) = self.span {
            write!(f, " (at {}:{})", sp.line, sp.col)?;
        }
        Ok(())
    }
}

/// `source()` is the engine error when the engine raised it.
impl std::error::Error for DslError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.engine
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Where one statement wrote each part an engine error can be about: the
/// one place an engine error's [`Subject`] becomes a span. A statement's
/// executor lists its parts; [`Places::error`] places the error under the
/// part its subject names, else at the fallback (the whole statement, or the
/// path). No message text is searched.
#[derive(Debug, Default)]
pub(crate) struct Places<'a> {
    object: Option<Span>,
    file: Option<Span>,
    labels: Vec<(&'a str, Span)>,
    modalities: Vec<(&'a str, Span)>,
    options: Vec<(&'a str, Span)>,
    clauses: Vec<(Clause, Span)>,
}

impl<'a> Places<'a> {
    pub(crate) fn new() -> Self {
        Places::default()
    }

    /// The stored object the statement reads (missing or damaged objects).
    pub(crate) fn object(mut self, span: Span) -> Self {
        self.object = Some(span);
        self
    }

    /// The file path the statement reads or writes.
    pub(crate) fn file(mut self, span: Span) -> Self {
        self.file = Some(span);
        self
    }

    /// LABELs by name.
    pub(crate) fn labels(mut self, it: impl IntoIterator<Item = (&'a str, Span)>) -> Self {
        self.labels.extend(it);
        self
    }

    /// TYPES entries by modality.
    pub(crate) fn modalities(mut self, it: impl IntoIterator<Item = (&'a str, Span)>) -> Self {
        self.modalities.extend(it);
        self
    }

    /// `WITH` options by name (the span of the value).
    pub(crate) fn options(mut self, it: impl IntoIterator<Item = (&'a str, Span)>) -> Self {
        self.options.extend(it);
        self
    }

    /// A clause, when the statement wrote it.
    pub(crate) fn clause(mut self, clause: Clause, span: Option<Span>) -> Self {
        self.clauses.extend(span.map(|s| (clause, s)));
        self
    }

    /// Where `subject` was written, if the statement wrote it.
    pub(crate) fn span_of(&self, subject: &Subject) -> Option<Span> {
        let named = |list: &[(&str, Span)], name: &str| {
            list.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
        };
        match subject {
            Subject::Option(k) => named(&self.options, k),
            Subject::Label(n) => named(&self.labels, n),
            Subject::Modality(m) => named(&self.modalities, m),
            Subject::Clause(c) => self.clauses.iter().find(|(x, _)| x == c).map(|(_, s)| *s),
            Subject::File(_) => self.file,
            Subject::Object { .. } => self.object,
            _ => None,
        }
    }

    /// The engine error, placed under the part it is about, else at `fallback`.
    pub(crate) fn error(&self, err: valence_engine::Error, fallback: Span) -> DslError {
        let span = err
            .subject()
            .and_then(|s| self.span_of(&s))
            .unwrap_or(fallback);
        DslError::engine(err, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;
    use valence_engine::{Code, Error};

    fn sp(start: usize) -> Span {
        Span {
            start,
            end: start + 1,
            line: 1,
            col: start + 1,
        }
    }

    #[test]
    fn each_subject_lands_on_its_part_else_the_fallback() {
        let places = Places::new()
            .object(sp(1))
            .file(sp(2))
            .labels([("a", sp(3)), ("b", sp(4)), ("b", sp(9))])
            .modalities([("brand", sp(5))])
            .options([("seed", sp(6))])
            .clause(Clause::Samples, Some(sp(7)))
            .clause(Clause::Seed, None);
        let at = |e: Error| places.error(e, sp(0)).span.unwrap().start;
        let rejected = |s: Subject| Error::rejected(Code::BadRange, s, "m", "h");
        assert_eq!(at(rejected(Subject::Label("b".into()))), 4, "the first 'b'");
        assert_eq!(at(rejected(Subject::Label("zzz".into()))), 0);
        assert_eq!(at(rejected(Subject::Modality("brand".into()))), 5);
        assert_eq!(at(rejected(Subject::Modality("geo".into()))), 0);
        assert_eq!(at(Error::bad_option("seed", "m", "h")), 6);
        assert_eq!(at(Error::bad_option("noise", "m", "h")), 0);
        assert_eq!(at(rejected(Subject::Clause(Clause::Samples))), 7);
        assert_eq!(at(rejected(Subject::Clause(Clause::Seed))), 0);
        assert_eq!(at(Error::input("e.csv", 3, "bad sign")), 2);
        let missing = Error::NotFound {
            kind: "graph",
            name: "g".into(),
            hint: None,
        };
        assert_eq!(at(missing), 1);
        assert_eq!(at(Error::invalid("no subject")), 0);
        assert_eq!(at(Error::Cancelled), 0);
        // Without the parts, everything is at the fallback.
        let none = Places::new();
        assert_eq!(
            none.error(Error::input("e.csv", 3, "x"), sp(8)).span,
            Some(sp(8))
        );
    }

    #[test]
    fn codes_and_sources() {
        let e = DslError::engine(Error::io("x.csv", std::io::Error::other("gone")), sp(0));
        assert_eq!(e.code(), "io");
        let src = e.source().expect("the engine error");
        let engine = src.downcast_ref::<Error>().expect("an engine error");
        assert!(
            engine
                .source()
                .unwrap()
                .downcast_ref::<std::io::Error>()
                .is_some()
        );
        assert_eq!(DslError::parse("x", sp(0)).code(), "syntax");
        let s = DslError::semantic("x", sp(0));
        assert_eq!(s.code(), "statement");
        assert!(s.source().is_none());
        let l = DslError::engine(Error::bad_option("seed", "m", "h"), sp(0));
        assert_eq!(l.code(), "bad_option");
    }
}
