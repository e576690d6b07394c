//! Tokens and money: a reply's `usage`, how it is journaled with the reply,
//! and prices.
//!
//! **Journal format.** A journal value is the reply text exactly as
//! received (every entry written before usage was recorded), or, when the
//! reply carried `usage`, the 4 bytes `\0VU1`, prompt tokens and completion
//! tokens as little-endian `u64`, then the reply text. No reply text starts
//! with a NUL byte, so both read back unambiguously: [`decode`] of an old
//! entry is its text with no usage.

use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 4] = b"\0VU1";

/// Tokens one reply cost, as the server reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    /// `usage` of an OpenAI-compatible response body (chat or embeddings:
    /// `prompt_tokens`, `completion_tokens` absent = 0); `None` without one.
    pub fn from_response(v: &serde_json::Value) -> Option<Usage> {
        let u = v.get("usage")?.as_object()?;
        let n = |k: &str| u.get(k).and_then(serde_json::Value::as_u64);
        let prompt = n("prompt_tokens").or_else(|| n("input_tokens"));
        let completion = n("completion_tokens").or_else(|| n("output_tokens"));
        if prompt.is_none() && completion.is_none() {
            return None;
        }
        Some(Usage {
            prompt_tokens: prompt.unwrap_or(0),
            completion_tokens: completion.unwrap_or(0),
        })
    }
}

/// A reply's text and, when the server said, its usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub usage: Option<Usage>,
}

impl Reply {
    pub fn text(text: String) -> Reply {
        Reply { text, usage: None }
    }
}

/// The journal value of a reply (see the module docs).
pub fn encode(text: &str, usage: Option<Usage>) -> Vec<u8> {
    match usage {
        None => text.as_bytes().to_vec(),
        Some(u) => {
            let mut v = Vec::with_capacity(20 + text.len());
            v.extend_from_slice(MAGIC);
            v.extend_from_slice(&u.prompt_tokens.to_le_bytes());
            v.extend_from_slice(&u.completion_tokens.to_le_bytes());
            v.extend_from_slice(text.as_bytes());
            v
        }
    }
}

/// A journal value's reply text and usage; `None` when it is not UTF-8.
pub fn decode(bytes: &[u8]) -> Option<(String, Option<Usage>)> {
    if bytes.len() >= 20 && bytes.starts_with(MAGIC) {
        let n = |r: std::ops::Range<usize>| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[r]);
            u64::from_le_bytes(b)
        };
        let usage = Usage {
            prompt_tokens: n(4..12),
            completion_tokens: n(12..20),
        };
        let text = String::from_utf8(bytes[20..].to_vec()).ok()?;
        return Some((text, Some(usage)));
    }
    String::from_utf8(bytes.to_vec()).ok().map(|t| (t, None))
}

/// Prices in US dollars per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    pub price_in: f64,
    pub price_out: f64,
}

impl Pricing {
    /// The dollars `tokens_in` prompt and `tokens_out` completion tokens cost.
    pub fn usd(&self, tokens_in: u64, tokens_out: u64) -> f64 {
        (tokens_in as f64 * self.price_in + tokens_out as f64 * self.price_out) / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_entries_read_back_as_text_without_usage() {
        assert_eq!(
            decode(b"{\"1\": \"+\"}"),
            Some(("{\"1\": \"+\"}".into(), None))
        );
        let u = Usage {
            prompt_tokens: 1234,
            completion_tokens: 56,
        };
        let e = encode("reply", Some(u));
        assert_eq!(decode(&e), Some(("reply".into(), Some(u))));
        assert_eq!(encode("reply", None), b"reply");
        assert_eq!(decode(&[0xff, 0xfe]), None);
    }

    #[test]
    fn usage_is_read_from_a_response() {
        let v = serde_json::json!({"usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}});
        assert_eq!(
            Usage::from_response(&v),
            Some(Usage {
                prompt_tokens: 10,
                completion_tokens: 3
            })
        );
        let v = serde_json::json!({"usage": {"prompt_tokens": 7, "total_tokens": 7}});
        assert_eq!(Usage::from_response(&v).unwrap().completion_tokens, 0);
        assert_eq!(Usage::from_response(&serde_json::json!({})), None);
        let p = Pricing {
            price_in: 0.4,
            price_out: 1.6,
        };
        assert!((p.usd(1_000_000, 500_000) - 1.2).abs() < 1e-12);
    }
}
