//! Splitting a script into statements at top-level `;` (outside strings and
//! comments), so a script runs statement by statement like sqlite3 does, and
//! the shell knows when a multi-line statement is complete.

/// One statement's byte range in the script (without its `;`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
}

/// Splits at top-level semicolons. Chunks holding only whitespace and
/// comments are dropped. The last chunk may lack its `;`.
pub fn split_statements(src: &str) -> Vec<Chunk> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut start) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'\'' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if i + 1 < b.len() && b[i + 1] == b'\'' {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'-' if i + 1 < b.len() && b[i + 1] == b'-' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b';' => {
                push(src, &mut out, start, i);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    push(src, &mut out, start, b.len());
    out
}

fn push(src: &str, out: &mut Vec<Chunk>, start: usize, end: usize) {
    if has_code(&src[start..end]) {
        out.push(Chunk { start, end });
    }
}

/// True when the text holds something other than whitespace and comments.
fn has_code(s: &str) -> bool {
    s.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with("--")
    })
}

/// True when the input ends a statement: the text after the last top-level
/// `;` is only whitespace/comments (used by the REPL's multi-line editing).
/// An unterminated string is never complete.
pub fn is_complete(src: &str) -> bool {
    let b = src.as_bytes();
    let (mut i, mut last_semi, mut in_str) = (0, None, false);
    while i < b.len() {
        if in_str {
            if b[i] == b'\'' {
                if i + 1 < b.len() && b[i + 1] == b'\'' {
                    i += 2;
                    continue;
                }
                in_str = false;
            }
        } else if b[i] == b'\'' {
            in_str = true;
        } else if b[i] == b'-' && i + 1 < b.len() && b[i + 1] == b'-' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if b[i] == b';' {
            last_semi = Some(i);
        }
        i += 1;
    }
    if in_str {
        return false;
    }
    match last_semi {
        Some(p) => !has_code(&src[p + 1..]),
        None => !has_code(src),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_strings_and_comments() {
        let s = "SHOW GRAPHS; LOAD CATALOGUE c FROM 'a;b.csv'; -- x; y\nSHOW DATASETS";
        let c = split_statements(s);
        assert_eq!(c.len(), 3);
        assert_eq!(
            &s[c[1].start..c[1].end].trim(),
            &"LOAD CATALOGUE c FROM 'a;b.csv'"
        );
        assert!(s[c[2].start..c[2].end].contains("SHOW DATASETS"));
    }

    #[test]
    fn completeness() {
        assert!(is_complete("SHOW GRAPHS;"));
        assert!(is_complete("SHOW GRAPHS; -- done"));
        assert!(!is_complete("SHOW GRAPHS"));
        assert!(!is_complete("LOAD CATALOGUE c FROM 'x;"));
        assert!(is_complete(""));
        assert!(!is_complete("SAMPLE 10 FROM g\n TYPES (a [1,1])"));
    }
}
