//! Prompt templates.
//!
//! The default brute-force template is the report's Appendix A
//! (`BATCH_CLASSIFICATION_PROMPT` with `_CLASSIFICATION_SCALE` concatenated),
//! kept verbatim as a Python `str.format` template: `{name}` is a placeholder,
//! `{{` and `}}` are literal braces. A template may be overridden from a file;
//! its full text is part of the journal key, so editing a template makes the
//! next run call again instead of replaying answers to the old prompt.

use std::path::Path;

use crate::{Error, Result};

/// Appendix A's `_CLASSIFICATION_SCALE`, verbatim.
const CLASSIFICATION_SCALE: &str = "CLASSIFICATION SCALE:
- NEGATIVE SIGNAL (mismatch): The combination creates friction, wastes ad spend, targets conflicting demographics, or causes brand dissonance.
0 NEUTRAL or NO SIGNAL: No meaningful impact, standard baseline performance, or completely unrelated.
+ POSITIVE SIGNAL (synergy): The combination clearly enhances the campaign, has strong audience overlap, and drives higher ROI.
EVALUATION MINDSET:
Do not invent creative edge cases to make a pairing work.
If a pairing requires mental gymnastics or an unconventional strategy to succeed, it is a mismatch (-).
Assign (+) only when the strategic fit is obvious and natural.
Default to (0) if unsure.
";

/// The placeholders a sign-classification template may use.
pub const SIGN_PLACEHOLDERS: &[&str] = &["primary_attr", "primary_mod", "attr_list"];

/// Appendix A's `BATCH_CLASSIFICATION_PROMPT` as one format string (the
/// Python concatenation resolved, placeholders and `{{ }}` escapes kept).
pub fn default_sign_template_text() -> String {
    let mut s = String::new();
    s.push_str("You are a social media campaign expert.\n\n");
    s.push_str("TASK INTRODUCTION\n");
    s.push_str("You will evaluate how a primary marketing campaign attribute relates to ");
    s.push_str("a set of other attributes from different categories.\n\n");
    s.push_str("PRIMARY ATTRIBUTE: \"{primary_attr}\"\n");
    s.push_str("CATEGORY: {primary_mod}\n\n");
    s.push_str(
        "For each numbered attribute below, decide whether pairing it with the primary attribute ",
    );
    s.push_str("in a marketing campaign creates synergy (+), a mismatch (-), or neither (0).\n\n");
    s.push_str("ATTRIBUTES TO EVALUATE:\n");
    s.push_str("{attr_list}\n\n");
    s.push_str(CLASSIFICATION_SCALE);
    s.push_str("\n\n");
    s.push_str("RESPONSE FORMAT:\n");
    s.push_str("Return ONLY a JSON object mapping each attribute's BRACKET NUMBER to its sign.\n");
    s.push_str(
        "Use the numbers shown in [brackets] before each attribute. Do NOT use attribute names as keys.\n\n",
    );
    s.push_str(
        "Example \u{2014} if attributes are \"[1] Attribute-B\", \"[2] Attribute-C\", \"[3] Attribute-D\":\n",
    );
    s.push_str("{{\"1\": \"+\", \"2\": \"-\", \"3\": \"0\"}}\n\n");
    s.push_str("JSON OUTPUT:");
    s
}

/// A validated prompt template (`str.format` syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
}

enum Piece<'a> {
    Lit(&'a str),
    Var(&'a str),
}

/// Splits a template into literal text and placeholders; `Err` = message.
fn pieces(text: &str) -> std::result::Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let (mut i, mut lit_start) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push(Piece::Lit(&text[lit_start..i + 1]));
                i += 2;
                lit_start = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push(Piece::Lit(&text[lit_start..i + 1]));
                i += 2;
                lit_start = i;
            }
            b'{' => {
                let close = text[i + 1..]
                    .find('}')
                    .ok_or_else(|| format!("unclosed '{{' at byte {i}"))?;
                out.push(Piece::Lit(&text[lit_start..i]));
                out.push(Piece::Var(&text[i + 1..i + 1 + close]));
                i += close + 2;
                lit_start = i;
            }
            b'}' => {
                return Err(format!(
                    "single '}}' at byte {i} (write '}}}}' for a brace)"
                ));
            }
            _ => i += 1,
        }
    }
    out.push(Piece::Lit(&text[lit_start..]));
    Ok(out)
}

impl Template {
    /// Checks that `text` is a well-formed template that uses only `allowed`
    /// placeholders and every one of `required`.
    pub fn new(text: impl Into<String>, allowed: &[&str], required: &[&str]) -> Result<Template> {
        let text = text.into();
        let ps = pieces(&text).map_err(|m| Error::invalid(format!("prompt template: {m}")))?;
        for p in &ps {
            if let Piece::Var(v) = p
                && !allowed.contains(v)
            {
                return Err(Error::invalid_hint(
                    format!("prompt template uses unknown placeholder {{{v}}}"),
                    format!(
                        "allowed placeholders: {}; write '{{{{' and '}}}}' for literal braces",
                        allowed
                            .iter()
                            .map(|a| format!("{{{a}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        for r in required {
            if !ps.iter().any(|p| matches!(p, Piece::Var(v) if v == r)) {
                return Err(Error::invalid(format!(
                    "prompt template does not use the placeholder {{{r}}}"
                )));
            }
        }
        Ok(Template { text })
    }

    /// The default sign-classification template (Appendix A).
    pub fn default_sign() -> Template {
        Template {
            text: default_sign_template_text(),
        }
    }

    /// A sign-classification template read from a file (UTF-8, `str.format`
    /// syntax, must use `{primary_attr}` and `{attr_list}`).
    pub fn sign_from_file(path: &Path) -> Result<Template> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Template::new(text, SIGN_PLACEHOLDERS, &["primary_attr", "attr_list"]).map_err(
            |e| match e {
                Error::Invalid { message, hint } => Error::Input {
                    loc: crate::FileLoc {
                        path: path.to_path_buf(),
                        line: 0,
                    },
                    message,
                    hint,
                },
                other => other,
            },
        )
    }

    /// The template text (part of the journal key).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Substitutes placeholders in one pass (values are never re-scanned,
    /// so braces inside attribute values are kept as they are).
    pub fn render(&self, vars: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(self.text.len() + 256);
        // The text was validated in `new`, so `pieces` cannot fail here.
        for p in pieces(&self.text).unwrap_or_default() {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Var(v) => match vars.iter().find(|(k, _)| *k == v) {
                    Some((_, val)) => out.push_str(val),
                    None => {
                        out.push('{');
                        out.push_str(v);
                        out.push('}');
                    }
                },
            }
        }
        out
    }

    /// Renders a sign-classification prompt: the primary attribute, its
    /// modality, and the targets as `[i] value` lines numbered from 1.
    pub fn render_signs(
        &self,
        primary_mod: &str,
        primary_attr: &str,
        targets: &[String],
    ) -> String {
        let list = numbered_list(targets);
        self.render(&[
            ("primary_attr", primary_attr),
            ("primary_mod", primary_mod),
            ("attr_list", &list),
        ])
    }
}

/// `[1] a\n[2] b...` (no trailing newline).
pub fn numbered_list(items: &[String]) -> String {
    let mut s = String::new();
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!("[{}] {}", i + 1, v));
    }
    s
}

/// A rough prompt-token estimate (about 4 characters per token), used by EXPLAIN.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_renders_like_appendix_a() {
        let t = Template::default_sign();
        let p = t.render_signs(
            "brand",
            "Nike",
            &["Athletes".into(), "Budget {x} Shoppers".into()],
        );
        assert!(p.contains("PRIMARY ATTRIBUTE: \"Nike\"\nCATEGORY: brand\n\n"));
        assert!(p.contains("ATTRIBUTES TO EVALUATE:\n[1] Athletes\n[2] Budget {x} Shoppers\n\n"));
        assert!(p.contains("{\"1\": \"+\", \"2\": \"-\", \"3\": \"0\"}\n\nJSON OUTPUT:"));
        assert!(p.contains("Default to (0) if unsure.\n\n\nRESPONSE FORMAT:"));
        assert!(p.starts_with("You are a social media campaign expert.\n\nTASK INTRODUCTION\n"));
        assert!(!p.contains("{primary"));
    }

    #[test]
    fn bad_templates_are_rejected() {
        assert!(
            Template::new("{primary_attr} {attr_list} {oops}", SIGN_PLACEHOLDERS, &[]).is_err()
        );
        assert!(Template::new("{primary_attr", SIGN_PLACEHOLDERS, &[]).is_err());
        assert!(Template::new("a } b", SIGN_PLACEHOLDERS, &[]).is_err());
        assert!(Template::new("{primary_attr}", SIGN_PLACEHOLDERS, &["attr_list"]).is_err());
        let t = Template::new("{{{primary_attr}}}: {attr_list}", SIGN_PLACEHOLDERS, &[]).unwrap();
        assert_eq!(t.render_signs("m", "p", &["a".into()]), "{p}: [1] a");
    }

    #[test]
    fn template_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, "Rate {attr_list} against {primary_attr}").unwrap();
        let t = Template::sign_from_file(&path).unwrap();
        assert_eq!(
            t.render_signs("m", "p", &["a".into(), "b".into()]),
            "Rate [1] a\n[2] b against p"
        );
        std::fs::write(&path, "no placeholders").unwrap();
        let e = Template::sign_from_file(&path).unwrap_err().to_string();
        assert!(e.contains("t.txt") && e.contains("{primary_attr}"), "{e}");
    }
}
