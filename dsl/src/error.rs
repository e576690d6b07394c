//! The DSL's error: a message, where it happened (a span in the statement
//! text) and how to fix it. Engine errors are wrapped with the span of the
//! statement that raised them.

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
        let mut out = format!("error: {}", self.message);
        if let Some(sp) = self.span {
            let line_text = src.lines().nth(sp.line.saturating_sub(1)).unwrap_or("");
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
