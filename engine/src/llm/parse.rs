//! Reply parsing: tolerant where it is safe, strict where it matters.
//!
//! Tolerated: surrounding whitespace, a Markdown code fence (```` ```json ````
//! or bare ```` ``` ````), prose before or after the one JSON object, keys
//! written `"1"`, `" 1 "` or `"[1]"`, and sign values with surrounding spaces.
//! Rejected (the attempt counts as failed and is retried): no JSON object,
//! a key that is not a bracket number, a missing number, an extra or
//! out-of-range number, a number given twice, and a value the caller's value
//! parser refuses (for signs: anything but `"+"`, `"-"`, `"0"`).
//!
//! [`parse_numbered`] is generic over the value parser, so the cluster
//! strategy reuses it for 0-10 scores ([`score_value`]) and [`parse_object`]
//! for free-form JSON objects (cluster labels).

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// Why a reply was refused. The message is shown to the user when a batch
/// fails after its last retry, so it says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(m: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(m.into()))
}

/// A three-way classification as answered by the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SignLabel {
    Pos,
    Neg,
    Neutral,
}

impl SignLabel {
    pub fn symbol(self) -> &'static str {
        match self {
            SignLabel::Pos => "+",
            SignLabel::Neg => "-",
            SignLabel::Neutral => "0",
        }
    }
}

/// The JSON text inside a reply: strips whitespace and a code fence; if the
/// remainder is not a single JSON value, takes the span from the first `{`
/// to the last `}`.
pub fn json_text(reply: &str) -> &str {
    let mut s = reply.trim();
    if let Some(rest) = s.strip_prefix("```") {
        // Drop the info string (`json`, `JSON`, ...) up to the end of line.
        let rest = match rest.find('\n') {
            Some(nl) => &rest[nl + 1..],
            None => rest,
        };
        s = rest.trim_end();
        s = s.strip_suffix("```").unwrap_or(s).trim();
    }
    if s.starts_with('{') && s.ends_with('}') {
        return s;
    }
    match (s.find('{'), s.rfind('}')) {
        (Some(a), Some(b)) if a < b => &s[a..=b],
        _ => s,
    }
}

/// The entries of a JSON object in reply order, duplicates kept.
struct Entries(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Entries, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = m.next_entry::<String, Value>()? {
                    v.push((k, val));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

fn entries(reply: &str) -> Result<Vec<(String, Value)>, ParseError> {
    let text = json_text(reply);
    match serde_json::from_str::<Entries>(text) {
        Ok(e) => Ok(e.0),
        Err(e) => err(format!(
            "reply is not a JSON object ({e}): {}",
            excerpt(reply)
        )),
    }
}

/// The first 120 characters of a reply, for error messages.
pub fn excerpt(reply: &str) -> String {
    let one_line: String = reply
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut s: String = one_line.chars().take(120).collect();
    if one_line.chars().count() > 120 {
        s.push_str("...");
    }
    format!("'{s}'")
}

/// A JSON object reply (e.g. a cluster label), entries in reply order;
/// duplicate keys are refused.
pub fn parse_object(reply: &str) -> Result<serde_json::Map<String, Value>, ParseError> {
    let mut map = serde_json::Map::new();
    for (k, v) in entries(reply)? {
        if map.insert(k.clone(), v).is_some() {
            return err(format!("key \"{k}\" appears twice"));
        }
    }
    Ok(map)
}

fn bracket_number(key: &str) -> Option<usize> {
    let k = key.trim();
    let k = k
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .map(str::trim)
        .unwrap_or(k);
    if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    k.parse().ok()
}

/// Parses a JSON object keyed by bracket numbers `1..=n`, every number
/// exactly once, each value through `value`. Returns the values in bracket
/// order (index 0 = `[1]`).
pub fn parse_numbered<T>(
    reply: &str,
    n: usize,
    value: impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, ParseError> {
    let es = entries(reply)?;
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for (k, v) in &es {
        let Some(i) = bracket_number(k) else {
            return err(format!(
                "key \"{k}\" is not a bracket number (expected \"1\"..\"{n}\")"
            ));
        };
        if i == 0 || i > n {
            return err(format!("key \"{k}\" is out of range (expected 1..{n})"));
        }
        if out[i - 1].is_some() {
            return err(format!("bracket number {i} appears twice"));
        }
        match value(v) {
            Ok(t) => out[i - 1] = Some(t),
            Err(m) => return err(format!("[{i}]: {m}")),
        }
    }
    let missing: Vec<String> = out
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_none())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !missing.is_empty() {
        return err(format!(
            "reply is missing bracket number(s) {} of 1..{n}",
            missing.join(", ")
        ));
    }
    Ok(out.into_iter().flatten().collect())
}

/// Value parser for signs: the strings `"+"`, `"-"`, `"0"` (spaces allowed).
pub fn sign_value(v: &Value) -> Result<SignLabel, String> {
    match v.as_str().map(str::trim) {
        Some("+") => Ok(SignLabel::Pos),
        Some("-") => Ok(SignLabel::Neg),
        Some("0") => Ok(SignLabel::Neutral),
        _ => Err(format!("{v} is not one of \"+\", \"-\", \"0\"")),
    }
}

/// Value parser for 0-10 scores: a number (or numeric string) in [0, 10],
/// or `null` for "no opinion".
pub fn score_value(v: &Value) -> Result<Option<f64>, String> {
    let x = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match x {
        Some(x) if x.is_finite() && (0.0..=10.0).contains(&x) => Ok(Some(x)),
        _ => Err(format!("{v} is not a score from 0 to 10 or null")),
    }
}

/// Parses a sign-classification reply for `n` targets.
pub fn parse_signs(reply: &str, n: usize) -> Result<Vec<SignLabel>, ParseError> {
    parse_numbered(reply, n, sign_value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SignLabel::*;

    #[test]
    fn tolerant_forms() {
        let want = vec![Pos, Neg, Neutral];
        for r in [
            r#"{"1": "+", "2": "-", "3": "0"}"#,
            "  \n{\"1\":\"+\",\"2\":\"-\",\"3\":\"0\"}\n",
            "```json\n{\"1\": \"+\", \"2\": \"-\", \"3\": \"0\"}\n```",
            "```\n{\"3\": \"0\", \"1\": \"+\", \"2\": \"-\"}\n```\n",
            "JSON OUTPUT: {\"[1]\": \"+\", \" 2 \": \" - \", \"3\": \"0\"} done",
        ] {
            assert_eq!(parse_signs(r, 3).unwrap(), want, "{r}");
        }
    }

    #[test]
    fn strict_forms() {
        for (r, needle) in [
            (r#"{"1": "+", "2": "-"}"#, "missing bracket number(s) 3"),
            (
                r#"{"1": "+", "2": "-", "3": "0", "4": "+"}"#,
                "out of range",
            ),
            (
                r#"{"0": "+", "1": "+", "2": "-", "3": "0"}"#,
                "out of range",
            ),
            (
                r#"{"1": "+", "2": "-", "2": "+", "3": "0"}"#,
                "appears twice",
            ),
            (
                r#"{"Nike": "+", "2": "-", "3": "0"}"#,
                "not a bracket number",
            ),
            (r#"{"1": "positive", "2": "-", "3": "0"}"#, "[1]"),
            (r#"{"1": 1, "2": "-", "3": "0"}"#, "[1]"),
            (r#"{"1": "++", "2": "-", "3": "0"}"#, "[1]"),
            ("I think Nike fits well.", "not a JSON object"),
            (r#"{"1": "+", "2": "-", "3": "0""#, "not a JSON object"),
            (r#"["+", "-", "0"]"#, "not a JSON object"),
        ] {
            let e = parse_signs(r, 3).unwrap_err().0;
            assert!(e.contains(needle), "{r} -> {e}");
        }
    }

    #[test]
    fn scores_and_objects() {
        let s = parse_numbered(r#"{"1": 7.5, "2": null, "3": "3"}"#, 3, score_value).unwrap();
        assert_eq!(s, vec![Some(7.5), None, Some(3.0)]);
        assert!(parse_numbered(r#"{"1": 11}"#, 1, score_value).is_err());
        assert!(parse_numbered(r#"{"1": -1}"#, 1, score_value).is_err());
        let o = parse_object("```json\n{\"label\": \"Luxury\", \"summary\": \"x\"}\n```").unwrap();
        assert_eq!(o["label"], "Luxury");
        assert!(parse_object(r#"{"a": 1, "a": 2}"#).is_err());
    }

    proptest::proptest! {
        /// Any sign map, written in any tolerated form, parses back exactly;
        /// dropping or adding a key always fails.
        #[test]
        fn roundtrip(signs in proptest::collection::vec(0u8..3, 1..40), fence in 0u8..3, shuffle in 0u64..1000) {
            let labels: Vec<SignLabel> = signs.iter().map(|s| [Pos, Neg, Neutral][*s as usize]).collect();
            let mut entries: Vec<String> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| format!("\"{}\": \"{}\"", i + 1, l.symbol()))
                .collect();
            let k = (shuffle as usize) % entries.len();
            entries.rotate_left(k);
            let body = format!("{{{}}}", entries.join(", "));
            let text = match fence {
                0 => body.clone(),
                1 => format!("```json\n{body}\n```"),
                _ => format!("  Here you go:\n{body}\n"),
            };
            proptest::prop_assert_eq!(parse_signs(&text, labels.len()).unwrap(), labels.clone());
            proptest::prop_assert!(parse_signs(&text, labels.len() + 1).is_err());
            if labels.len() > 1 {
                proptest::prop_assert!(parse_signs(&text, labels.len() - 1).is_err());
            }
        }
    }
}
