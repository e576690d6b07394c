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

/// `s` with every control character written as an escape (`\u{1}`), so an
/// error message can show it.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Refuses a catalogue value, modality name or edge field holding a C0
/// control character other than tab, or DEL: XML 1.0 (GraphML) cannot carry
/// most of them, terminals do not show them, and a CSV field never needs
/// them. The message (for the caller to put at file:line) names the
/// character.
pub fn check_control_chars(what: &str, v: &str) -> std::result::Result<(), (String, String)> {
    // A byte scan (every control character is ASCII, and no byte of a
    // multi-byte UTF-8 character is below 0x80): this runs on every field of
    // an import.
    let Some(c) = v
        .bytes()
        .find(|&b| (b < b' ' && b != b'\t') || b == 0x7f)
        .map(char::from)
    else {
        return Ok(());
    };
    Err((
        format!(
            "{what} {} contains the control character U+{:04X}",
            quote(&escape_controls(v)),
            c as u32
        ),
        "remove it from the file: values and modality names may not hold control characters \
         other than tab (GraphML cannot carry them and terminals do not show them)"
            .into(),
    ))
}

/// Query parameter names whose values are treated as secrets in URLs.
const SECRET_PARAMS: &[&str] = &[
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_token",
    "auth",
    "secret",
    "password",
    "pass",
    "pwd",
    "sig",
    "signature",
    "code",
    "client_secret",
    "session",
    "credential",
    "credentials",
];

fn secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_PARAMS.contains(&n.as_str())
        || ["key", "token", "secret", "password", "auth"]
            .iter()
            .any(|s| n.ends_with(s) || n.starts_with(s))
}

/// The secret parts of a URL: the userinfo (`user:pass@`) and the values of
/// secret-looking query parameters (`key=`, `api_key=`, `token=`, ...).
/// Works on text that is not a valid URL too.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        out.extend(
            userinfo
                .split(':')
                .filter(|p| !p.is_empty())
                .map(String::from),
        );
        out.push(userinfo.to_string());
    }
    if let Some((_, query)) = url.split_once('?') {
        let query = query.split('#').next().unwrap_or("");
        for pair in query.split(['&', ';']) {
            if let Some((k, v)) = pair.split_once('=')
                && secret_param(k)
                && !v.is_empty()
            {
                out.push(v.to_string());
            }
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `url` with its userinfo replaced by `<redacted>` and the values of
/// secret-looking query parameters by `<redacted>`: what is stored in
/// manifests and shown in DESCRIBE and errors.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("<redacted>@{host}"),
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        None => tail.to_string(),
        Some((path, query)) => {
            let (query, frag) = match query.split_once('#') {
                Some((q, f)) => (q, format!("#{f}")),
                None => (query, String::new()),
            };
            let q: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) if secret_param(k) && !v.is_empty() => format!("{k}=<redacted>"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}{frag}", q.join("&"))
        }
    };
    format!("{scheme}{authority}{tail}")
}

/// Serializes an optional URL redacted (manifests never hold its secrets).
pub fn serialize_redacted_url<S: serde::Serializer>(
    url: &Option<String>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match url {
        Some(u) => s.serialize_some(&redact_url(u)),
        None => s.serialize_none(),
    }
}

/// Replaces every secret of `url` found in `text` by `<redacted>`.
pub fn scrub_url_secrets(text: &str, url: &str) -> String {
    let mut t = text.replace(url, &redact_url(url));
    for s in url_secrets(url) {
        if s.len() >= 3 {
            t = t.replace(&s, "<redacted>");
        }
    }
    t
}

/// `text` with the credentials of any HTTP authorization it echoes (`Basic
/// <base64 user:password>`, `Bearer <token>`) replaced by `<redacted>`: an
/// endpoint's error body may repeat the request's headers, and the job
/// record or journal that stores the error must not keep them.
pub fn mask_auth_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let hit = ["basic ", "bearer "]
            .iter()
            .filter_map(|s| lower.find(s).map(|i| (i, s.len())))
            .min();
        let Some((i, n)) = hit else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i + n]);
        let after = &rest[i + n..];
        let token = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=-._~".contains(c)))
            .unwrap_or(after.len());
        if token >= 8 {
            out.push_str("<redacted>");
        } else {
            out.push_str(&after[..token]);
        }
        rest = &after[token..];
    }
}

/// `text` with the secrets of every URL in it (the userinfo and the values of
/// secret-looking query parameters) masked by `*`, one per character: the statement line an error echoes keeps its
/// length, so the caret under it stays aligned.
pub fn mask_url_secrets(text: &str) -> String {
    let mut out = text.to_string();
    let mut from = 0;
    while let Some(i) = text[from..].find("://") {
        let at = from + i;
        let start = text[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+.-".contains(c)))
            .map_or(0, |j| j + 1);
        let end = text[at..]
            .find(|c: char| c.is_whitespace() || "'\"(),;".contains(c))
            .map_or(text.len(), |j| at + j);
        for secret in url_secrets(&text[start..end]) {
            out = out.replace(&secret, &"*".repeat(secret.chars().count()));
        }
        from = end.max(at + 3);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_echoed_text_are_masked_in_place() {
        let line = "WITH (base_url = 'https://bob:hunter2@h/v1?key=abc123&x=1', model = 'm') oops";
        let masked = mask_url_secrets(line);
        assert_eq!(masked.chars().count(), line.chars().count());
        assert!(
            !masked.contains("hunter2") && !masked.contains("abc123") && !masked.contains("bob")
        );
        assert!(
            masked.contains("@h/v1?key=******&x=1', model = 'm') oops"),
            "{masked}"
        );
        assert_eq!(mask_url_secrets("no url here"), "no url here");
    }

    #[test]
    fn echoed_authorization_credentials_are_masked() {
        let body = r#"{"error": "bad auth", "headers": {"Authorization": "Basic YWxpY2U6aHVudGVyMnB3", "x": "Bearer sk-abcdef123456"}}"#;
        let m = mask_auth_credentials(body);
        assert!(
            !m.contains("YWxpY2U6aHVudGVyMnB3") && !m.contains("sk-abcdef123456"),
            "{m}"
        );
        assert_eq!(m.matches("<redacted>").count(), 2, "{m}");
        // Words, not credentials, stay.
        assert_eq!(
            mask_auth_credentials("basic auth failed"),
            "basic auth failed"
        );
        assert_eq!(mask_auth_credentials("no key"), "no key");
    }

    #[test]
    fn urls_lose_their_secrets() {
        assert_eq!(
            redact_url("https://bob:hunter2@api.example.com/v1?key=abc123&x=1"),
            "https://<redacted>@api.example.com/v1?key=<redacted>&x=1"
        );
        assert_eq!(
            redact_url("http://h:8080/v1?api_key=s3cr3t&API-VERSION=2024#frag"),
            "http://h:8080/v1?api_key=<redacted>&API-VERSION=2024#frag"
        );
        assert_eq!(redact_url("http://127.0.0.1:9/v1"), "http://127.0.0.1:9/v1");
        assert_eq!(
            redact_url("http://h/v1?access_token=t0k"),
            "http://h/v1?access_token=<redacted>"
        );
        let s = url_secrets("https://bob:hunter2@h/v1?token=zzz9&a=b");
        assert!(
            s.contains(&"hunter2".to_string()) && s.contains(&"zzz9".to_string()),
            "{s:?}"
        );
        let text =
            "error sending request for url (https://bob:hunter2@h/v1?token=zzz9&a=b/chat): hunter2";
        let scrubbed = scrub_url_secrets(text, "https://bob:hunter2@h/v1?token=zzz9&a=b");
        assert!(
            !scrubbed.contains("hunter2") && !scrubbed.contains("zzz9"),
            "{scrubbed}"
        );
    }

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
