//! Bounds on what users hand the engine, and on how much of it an error
//! message echoes back (README, "Limits and guarantees").
//!
//! - [`quote`]: every error that repeats an input value, name or path goes
//!   through it, so a 200 MB field gives a 200-character excerpt plus its size.
//! - [`MAX_NAME_BYTES`], [`MAX_VALUE_BYTES`]: object names and catalogue
//!   values/descriptions.

use std::path::Path;

use crate::{Error, Result};

/// Longest object name (catalogue, graph, dataset), in bytes.
pub const MAX_NAME_BYTES: usize = 255;
/// Longest catalogue value or description, in bytes (64 KiB).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// How many characters of an input an error message quotes.
pub const QUOTE_CHARS: usize = 200;

/// A human size: `812 B`, `64.0 KB`, `200 MB`.
pub fn human_bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The text shown for `s` in an error: `s` itself when it has at most
/// [`QUOTE_CHARS`] characters, otherwise its first ones, `…` and its size,
/// e.g. `abc…" (200 MB)`. Never quotes more than ~200 characters.
pub fn excerpt(s: &str) -> String {
    match s.char_indices().nth(QUOTE_CHARS) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({})", &s[..cut], human_bytes(s.len())),
    }
}

/// `'s'` for an error message, cut to [`QUOTE_CHARS`] characters with the
/// full size after it: `'abc…' (200 MB)`.
pub fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTE_CHARS) {
        None => format!("'{s}'"),
        Some((cut, _)) => format!("'{}…' ({})", &s[..cut], human_bytes(s.len())),
    }
}

/// A path for an error message, cut like [`excerpt`].
pub fn path(p: &Path) -> String {
    excerpt(&p.display().to_string())
}

/// Refuses an object name longer than [`MAX_NAME_BYTES`].
pub fn check_name_len(name: &str) -> Result<()> {
    if name.len() > MAX_NAME_BYTES {
        return Err(Error::invalid_hint(
            format!(
                "the name {} is {} bytes long; names are at most {MAX_NAME_BYTES} bytes",
                quote(name),
                name.len()
            ),
            "choose a shorter name",
        ));
    }
    Ok(())
}

/// Refuses a catalogue value or description longer than [`MAX_VALUE_BYTES`];
/// the message (for the caller to put at file:line) says which and how long.
pub fn check_value_len(what: &str, v: &str) -> std::result::Result<(), (String, String)> {
    if v.len() > MAX_VALUE_BYTES {
        return Err((
            format!(
                "{what} {} is {} long; at most {} is allowed",
                quote(v),
                human_bytes(v.len()),
                human_bytes(MAX_VALUE_BYTES)
            ),
            "catalogue values and descriptions are short texts; shorten this one".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_keeps_short_inputs_whole() {
        assert_eq!(quote("Nike"), "'Nike'");
        let s = "é".repeat(QUOTE_CHARS);
        assert_eq!(quote(&s), format!("'{s}'"));
    }

    #[test]
    fn quote_cuts_long_inputs_and_gives_their_size() {
        let s = "x".repeat(200 * 1024 * 1024);
        let q = quote(&s);
        assert!(q.len() < 260, "{} bytes", q.len());
        assert!(q.starts_with(&format!("'{}…'", "x".repeat(QUOTE_CHARS))));
        assert!(q.ends_with("(200 MB)"), "{q}");
        // Multi-byte characters are cut on a character boundary.
        let m = "€".repeat(1000);
        let q = quote(&m);
        assert!(
            q.starts_with(&format!("'{}…'", "€".repeat(QUOTE_CHARS))),
            "{q}"
        );
        assert!(q.ends_with("(2.9 KB)"), "{q}");
    }

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(64 * 1024), "64.0 KB");
        assert_eq!(human_bytes(1024 * 1024), "1.0 MB");
    }

    #[test]
    fn name_and_value_limits() {
        assert!(check_name_len(&"a".repeat(255)).is_ok());
        let e = check_name_len(&"a".repeat(100_000_000))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("100000000 bytes") && e.len() < 600,
            "{}",
            e.len()
        );
        assert!(check_value_len("value", &"v".repeat(MAX_VALUE_BYTES)).is_ok());
        let (m, _) = check_value_len("value", &"v".repeat(MAX_VALUE_BYTES + 1)).unwrap_err();
        assert!(m.contains("64.0 KB") && m.len() < 400, "{m}");
    }
}
