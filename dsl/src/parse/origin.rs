//! Where a parsed piece sits in its script, so a script parses in time
//! linear in its length.
//!
//! A script is parsed one statement at a time (`split_statements`): pest sees
//! only that statement's text, and every span it yields is moved to the
//! script's byte offsets, lines and columns here. The line index is built once
//! per script; a position's line is a binary search and its column a
//! subtraction on ASCII lines (a character count only on lines that are not
//! ASCII), so neither many statements nor one very long line costs
//! quadratic time (it did when each statement was parsed behind a blanked copy
//! of everything before it).

use std::cell::RefCell;
use std::rc::Rc;

use crate::ast::Span;

/// A script's line starts, for absolute line/column of byte offsets.
#[derive(Debug)]
pub(crate) struct LineIndex {
    text: Rc<str>,
    /// The line number of the text's first line in its source (1 for a
    /// whole script; the shell runs a file's statements buffer by buffer).
    first_line: usize,
    /// Byte offset of each line's first byte.
    starts: Vec<usize>,
    /// Whether each line is pure ASCII (column = byte distance + 1).
    ascii: Vec<bool>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        LineIndex::starting_at(text, 1)
    }

    /// The index of `text` whose first line is line `first_line` of its
    /// source.
    pub(crate) fn starting_at(text: &str, first_line: usize) -> LineIndex {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut line_ascii = true;
        for (i, &b) in text.as_bytes().iter().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
                ascii.push(line_ascii);
                line_ascii = true;
            } else if !b.is_ascii() {
                line_ascii = false;
            }
        }
        ascii.push(line_ascii);
        LineIndex {
            text: text.into(),
            first_line: first_line.max(1),
            starts,
            ascii,
        }
    }

    /// 1-based (line, column in characters) of byte offset `pos`.
    pub(crate) fn line_col(&self, pos: usize) -> (usize, usize) {
        let pos = pos.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= pos) - 1;
        let start = self.starts[line];
        let col = if self.ascii[line] {
            pos - start
        } else {
            self.text[start..pos].chars().count()
        };
        (line + self.first_line, col + 1)
    }
}

struct Origin {
    index: Rc<LineIndex>,
    /// Byte offset of the piece being parsed in the script.
    base: usize,
}

thread_local! {
    static CURRENT: RefCell<Option<Origin>> = const { RefCell::new(None) };
}

/// Runs `f` (the parse of the piece of the script starting at byte `base`)
/// with spans placed in the script `index` describes.
pub(crate) fn within<T>(index: &Rc<LineIndex>, base: usize, f: impl FnOnce() -> T) -> T {
    let prev = CURRENT.with(|c| {
        c.replace(Some(Origin {
            index: Rc::clone(index),
            base,
        }))
    });
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = prev);
    out
}

/// The script offset of byte `rel` of the piece being parsed.
pub(crate) fn offset(rel: usize) -> usize {
    CURRENT.with(|c| c.borrow().as_ref().map_or(0, |o| o.base)) + rel
}

/// The span of bytes `rel_start..rel_end` of the piece being parsed, in
/// script offsets, lines and columns. Outside [`within`] (a piece parsed on
/// its own) the piece is the script.
pub(crate) fn span(piece: &str, rel_start: usize, rel_end: usize) -> Span {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(o) => {
            let (line, col) = o.index.line_col(o.base + rel_start);
            Span {
                start: o.base + rel_start,
                end: o.base + rel_end,
                line,
                col,
            }
        }
        None => {
            let (line, col) = LineIndex::new(piece).line_col(rel_start);
            Span {
                start: rel_start,
                end: rel_end,
                line,
                col,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_on_non_ascii_lines() {
        let ix = LineIndex::new("ab\ncé;x\n\nz");
        assert_eq!(ix.line_col(0), (1, 1));
        assert_eq!(ix.line_col(2), (1, 3));
        assert_eq!(ix.line_col(3), (2, 1));
        // 'é' is two bytes: byte 6 (';') is the third character.
        assert_eq!(ix.line_col(6), (2, 3));
        assert_eq!(ix.line_col(9), (3, 1));
        assert_eq!(ix.line_col(10), (4, 1));
        assert_eq!(ix.line_col(99), (4, 2));
    }

    #[test]
    fn statements_deep_in_a_script_keep_their_script_places() {
        // Many statements on many lines, then many on one line: the last
        // statement's spans and a syntax error's caret are the script's.
        let mut src = "SHOW GRAPHS;\n".repeat(3000);
        src.push_str(&"SHOW DATASETS; ".repeat(2000));
        src.push_str("DESCRIBE GRAPH g@2;");
        let stmts = crate::parse::parse_script(&src).unwrap();
        assert_eq!(stmts.len(), 5001);
        let last = stmts.last().unwrap();
        assert_eq!(last.span.line, 3001);
        assert_eq!(last.span.col, 2000 * 15 + 1);
        assert_eq!(&src[last.span.start..last.span.end], "DESCRIBE GRAPH g@2");
        let bad = format!("{src}\nSHOW GRAPHZ;");
        let e = crate::parse::parse_script(&bad).unwrap_err();
        let sp = e.span.expect("a syntax error has a place");
        assert_eq!((sp.line, sp.col), (3002, 6));
        assert_eq!(&bad[sp.start..sp.end], "GRAPHZ");
    }
}
