//! The cluster-first strategy's LLM tasks: prompts (the report's Appendix B),
//! reply parsers (typed answers).
//!
//! Four chat tasks ([`ClusterTask`]) plus embeddings:
//! * `Describe`: enrichment. One value per call uses Appendix B's
//!   per-modality prompt verbatim (`brand`, `audience`, `geo`, `platform`,
//!   matched case-insensitively; any other modality gets the fallback
//!   prompt) and the reply is the description text. Several values per call
//!   wrap that prompt (with `{value}` = "each attribute") in a numbered list;
//!   the reply is a JSON object from bracket numbers to descriptions.
//! * `Label`: Appendix B's `CLUSTER_LABEL_PROMPT`, one cluster per call,
//!   reply `{"label", "summary", "characteristics"}`; several clusters per
//!   call: the same instructions over a numbered list, reply keyed by
//!   bracket number, each value such an object.
//! * `Score`: Appendix B's `CLUSTER_COMPAT_BATCH_PROMPT`: one source cluster
//!   against numbered target clusters, reply `{"1": 0..10 | null, ...}`.
//! * Attribute classification reuses [`Task::ClassifySigns`](crate::llm::Task::ClassifySigns) and the
//!   brute-force template (Appendix A), as the report does.
//!
//! The oracle simulator's answers to these tasks are in
//! [`crate::llm::oracle`].

use std::sync::OnceLock;

use serde_json::Value;

use crate::llm::parse::{ParseError, parse_numbered, parse_object, score_value};
use crate::llm::prompt::{Template, numbered_list};

/// A chat task of the cluster-first strategy (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterTask {
    /// Describe `values` of `modality`; `batched` = the numbered-list form.
    Describe {
        modality: String,
        values: Vec<String>,
        batched: bool,
    },
    /// Label each cluster (members of `modality`); one cluster = Appendix B form.
    Label {
        modality: String,
        clusters: Vec<Vec<String>>,
    },
    /// Score a source cluster against target clusters (modality, members).
    Score {
        source_modality: String,
        source_members: Vec<String>,
        targets: Vec<(String, Vec<String>)>,
    },
    /// Classify targets of several modalities (modality, value) against one
    /// primary attribute with the sign template (Appendix A's prompt speaks
    /// of "other attributes from different categories"); reply as for
    /// [`Task::ClassifySigns`](crate::llm::Task::ClassifySigns).
    ClassifyMixed {
        primary_modality: String,
        primary_value: String,
        targets: Vec<(String, String)>,
    },
}

impl ClusterTask {
    /// Short name (journal kind).
    pub fn kind(&self) -> &'static str {
        match self {
            ClusterTask::Describe { .. } => "cluster_describe",
            ClusterTask::Label { .. } => "cluster_label",
            ClusterTask::Score { .. } => "cluster_score",
            ClusterTask::ClassifyMixed { .. } => "classify_mixed",
        }
    }
}

// --------------------------------------------------------------- prompts --

const ENRICH_BRAND: &str = "Describe {value} across these dimensions, being specific about what makes it DIFFERENT from other brands. Be concrete and avoid generic marketing language.\n\n1. Core identity: what it fundamentally stands for (not a tagline)\n2. Who would NEVER be its customer (anti-audience)\n3. Price tier vs direct competitors  (budget / mid / premium / luxury)\n4. Cultural associations, lifestyle, or subculture it belongs to\n5. Any restrictions, controversies, or advertiser safety concerns.\n\nAnswer in 6-7 sentences total.";

const ENRICH_AUDIENCE: &str = "Describe this audience segment for marketing targeting purposes.\nBe specific and differentiating \u{2014} assume this description will be used\nto separate this segment from all other segments in a clustering algorithm.\n\nCover these dimensions:\n1. Demographics & income: age range, income tier, life stage\n2. Purchase behavior: price sensitivity, brand loyalty, research depth\n3. Core motivation: what fundamentally drives their purchases?\n4. Digital behavior: which platforms they actively use vs avoid\n5. What they are NOT: name 2 audience types they are commonly confused\n with, and explain precisely what distinguishes them\n\nThe last point is critical \u{2014} explicitly contrast this segment\nagainst its nearest neighbours.\n\nAudience segment: {value}";

const ENRICH_GEO: &str = "Describe {value} for digital advertising targeting purposes.\nBe balanced and specific \u{2014} describe the FULL population, not just the most attractive or dominant segment.\n\nCover these dimensions:\n1. Income distribution: what proportion of the online population is  budget/price-sensitive, mid-income, premium, and high-income?  Name specific segments that exist (e.g. deal-hunters, middle class,  luxury consumers) \u{2014} do not flatten this into a single tier.\n2. Platform landscape: which platforms dominate, which are absent or  blocked, and which are growing.\n3. Consumer attitudes: cultural attitudes toward advertising, brand  trust, and price sensitivity across different segments.\n4. Language and regional fragmentation: languages spoken, regional  differences in purchasing behaviour.\n5. Regulatory or content restrictions advertisers face here.\n\nAnswer in 5-6 sentences total. Do not focus only on high-value consumers \u{2014} the description must reflect the full spectrum.";

const ENRICH_PLATFORM: &str = "Describe {value} across these dimensions, focusing on what makes it DISTINCT from other digital platforms for advertisers.\n- Core user demographic (age, income, intent)\n- Content format and consumption behaviour (passive scroll vs active search)\n- Price tier of content that performs well: explicitly mention whether  budget/dupe/deal content thrives alongside premium content, or if the  platform skews exclusively toward one end.\n- Ad formats available and their typical performance characteristics\n- Categories of brands that perform well vs categories that underperform\n- Brand safety profile and content moderation reputation\nAnswer in 4-5 sentences total.";

const ENRICH_FALLBACK: &str = "Describe '{value}' (type: {attribute_type}) focusing on what makes it DISTINCT from similar entities: who it targets, who it excludes, price positioning, cultural associations, and any restrictions or controversies. Be concrete and avoid generic marketing language. Answer in 4-5 sentences.";

/// Wraps a per-modality prompt for several values per call (extension).
const ENRICH_BATCH: &str = "You will describe several {modality} attributes, one description per attribute.\nFor EACH numbered attribute below, follow these instructions:\n\n{instructions}\n\nATTRIBUTES:\n{attr_list}\n\nRESPONSE FORMAT:\nReturn ONLY a JSON object mapping each attribute's BRACKET NUMBER to its description (one string).\nUse the numbers shown in [brackets] before each attribute. Do NOT use attribute names as keys.\nExample: {{\"1\": \"...\", \"2\": \"...\"}}\n\nJSON OUTPUT:";

const LABEL: &str = "\nYou are a marketing strategy expert.\nThe following {modality} attributes were grouped together based on semantic similarity:\n{members}\nProvide in JSON with keys \"label\" (2-4 words), \"summary\" (one sentence),\n\"characteristics\" (array of exactly 3 strings).\n";

/// Several clusters per call (extension).
const LABEL_BATCH: &str = "You are a marketing strategy expert.\nEach numbered group below lists {modality} attributes that were grouped together based on semantic similarity:\n\n{groups}\n\nFor each group provide a JSON object with keys \"label\" (2-4 words), \"summary\" (one sentence),\n\"characteristics\" (array of exactly 3 strings).\n\nRESPONSE FORMAT:\nReturn ONLY a JSON object mapping each group's BRACKET NUMBER to its object.\nExample: {{\"1\": {{\"label\": \"...\", \"summary\": \"...\", \"characteristics\": [\"...\", \"...\", \"...\"]}}}}\n\nJSON OUTPUT:";

const COMPAT: &str = "You are a media planning expert. Score how well a source cluster performs with each target cluster in an ad campaign.\nSOURCE \u{2014} {modality_a}: {label_a}\n{desc_a}\nMembers: {members_a}\nTARGET CLUSTERS:\n{targets}\nFor each cluster target, return a compatibility score (0\u{2013}10) or null if the combination is implausible, prohibited, or has no shared business context.\n- 0\u{2013}3 : Negative \u{2014} friction, conflicting demographics, brand dissonance\n- 4\u{2013}6 : Neutral \u{2014} baseline / no meaningful impact\n- 7\u{2013}10: Positive \u{2014} clear synergy, strong audience overlap, higher ROI (only assign 10 if you believe all attributes in the target cluster would perform well with the source cluster)\n- null : Not a viable campaign combination (not the same as a low score)\nRESPONSE FORMAT:\nReturn ONLY a JSON object mapping each cluster's BRACKET NUMBER to its compatibility score (integer 0\u{2013}10) or null.\nUse the numbers shown in [brackets] before each cluster. Do NOT use cluster names as keys.\nExample \u{2014} if clusters are \"[1] Luxury Fashion Houses\", \"[2] Mass Market Brands\", \"[3] Sports Apparel\":\n{{\"1\": 8, \"2\": 3, \"3\": null}}\nJSON OUTPUT:\n";

fn tpl(text: &str, vars: &[&str]) -> Template {
    // The texts above are constants checked by the tests; a failure here is
    // a programming error caught by `templates_are_valid`.
    Template::new(text, vars, &[]).unwrap_or_else(|_| Template::default_sign())
}

/// The enrichment template for a modality (Appendix B, or its fallback).
pub fn enrichment_template(modality: &str) -> Template {
    let text = match modality.to_ascii_lowercase().as_str() {
        "brand" | "brands" => ENRICH_BRAND,
        "audience" | "audiences" => ENRICH_AUDIENCE,
        "geo" | "geos" | "country" | "countries" => ENRICH_GEO,
        "platform" | "platforms" => ENRICH_PLATFORM,
        _ => ENRICH_FALLBACK,
    };
    tpl(text, &["value", "attribute_type"])
}

/// The cluster-first templates a run uses: Appendix B's, or files of a
/// `prompts` directory overriding some of them (see [`ClusterTemplates::from_dir`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterTemplates {
    /// Overrides: enrichment per lower-case modality, `None` key = the
    /// fallback of every modality without its own file.
    enrich: Vec<(Option<String>, Template)>,
    label: Option<Template>,
    score: Option<Template>,
    /// The sign-classification template (`classify.txt`), if given.
    pub classify: Option<Template>,
    /// Which file each override came from, e.g. `("label", "dir/label.txt")`.
    pub files: Vec<(String, std::path::PathBuf)>,
}

/// Placeholders of the enrichment, label and scoring templates.
pub const ENRICH_VARS: &[&str] = &["value", "attribute_type"];
pub const LABEL_VARS: &[&str] = &["modality", "members"];
pub const SCORE_VARS: &[&str] = &["modality_a", "label_a", "desc_a", "members_a", "targets"];

impl ClusterTemplates {
    /// Reads the overrides in `dir`: `enrich.txt` (every modality without
    /// its own file), `enrich_<modality>.txt`, `label.txt` (one cluster per
    /// call), `score.txt` (cluster compatibility), `classify.txt` (sign
    /// classification). Each is checked now: a placeholder it must use
    /// (`{value}`, `{members}`, `{targets}`, `{primary_attr}` and
    /// `{attr_list}`) or one it may not is an error naming the file; so is
    /// any other file name ending in `.txt`.
    pub fn from_dir(dir: &std::path::Path) -> crate::Result<ClusterTemplates> {
        let mut t = ClusterTemplates::default();
        let entries = std::fs::read_dir(dir).map_err(|e| crate::Error::io(dir, e))?;
        let mut names: Vec<std::path::PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        names.sort();
        for path in names {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            let (allowed, required): (&[&str], &[&str]) = match stem.as_str() {
                "label" => (LABEL_VARS, &["members"]),
                "score" => (SCORE_VARS, &["targets"]),
                "classify" => (
                    crate::llm::prompt::SIGN_PLACEHOLDERS,
                    &["primary_attr", "attr_list"],
                ),
                s if s == "enrich" || s.starts_with("enrich_") => (ENRICH_VARS, &["value"]),
                _ => {
                    return Err(crate::Error::invalid_hint(
                        format!("{}: not a prompt file Valence knows", path.display()),
                        "name the files enrich.txt, enrich_<modality>.txt, label.txt, score.txt or classify.txt",
                    ));
                }
            };
            let text = std::fs::read_to_string(&path).map_err(|e| crate::Error::io(&path, e))?;
            let template = Template::new(text, allowed, required).map_err(|e| {
                crate::Error::invalid_hint(
                    format!("{}: {e}", path.display()),
                    e.hint()
                        .unwrap_or("see README: Every prompt is configurable")
                        .to_string(),
                )
            })?;
            match stem.as_str() {
                "label" => t.label = Some(template),
                "score" => t.score = Some(template),
                "classify" => t.classify = Some(template),
                "enrich" => t.enrich.push((None, template)),
                s => t
                    .enrich
                    .push((Some(s["enrich_".len()..].to_string()), template)),
            }
            t.files.push((stem, path));
        }
        Ok(t)
    }

    /// The enrichment template of `modality` (its file, the `enrich.txt`
    /// fallback, or Appendix B's).
    pub fn enrichment(&self, modality: &str) -> Template {
        let m = modality.to_ascii_lowercase();
        let own = self
            .enrich
            .iter()
            .find(|(k, _)| k.as_deref() == Some(m.as_str()));
        let fallback = self.enrich.iter().find(|(k, _)| k.is_none());
        match own.or(fallback) {
            Some((_, t)) => t.clone(),
            None => enrichment_template(modality),
        }
    }

    /// Which template a prompt kind uses: its file, or `built-in`.
    pub fn source(&self, kind: &str) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .filter(|(stem, _)| stem == kind || (kind == "enrich" && stem.starts_with("enrich")))
            .map(|(_, p)| p.display().to_string())
            .collect();
        if files.is_empty() {
            "built-in (Appendix B)".into()
        } else {
            files.join(", ")
        }
    }

    /// A digest of the templates in use (part of the journal keys).
    pub fn digest(&self) -> String {
        if self.files.is_empty() {
            return templates_digest().to_string();
        }
        let mut h = blake3::Hasher::new();
        h.update(templates_digest().as_bytes());
        for (k, t) in &self.enrich {
            h.update(k.as_deref().unwrap_or("*").as_bytes());
            h.update(t.text().as_bytes());
        }
        for t in [&self.label, &self.score].into_iter().flatten() {
            h.update(t.text().as_bytes());
        }
        h.finalize().to_hex()[..16].to_string()
    }
}

/// Renders an enrichment prompt for `values` (one = Appendix B verbatim).
#[cfg(test)]
pub fn render_describe(modality: &str, values: &[String], batched: bool) -> String {
    render_describe_with(&ClusterTemplates::default(), modality, values, batched)
}

/// Renders an enrichment prompt for `values` with `templates` (one value =
/// Appendix B's form).
pub fn render_describe_with(
    templates: &ClusterTemplates,
    modality: &str,
    values: &[String],
    batched: bool,
) -> String {
    let t = templates.enrichment(modality);
    if !batched {
        let v = values.first().map(String::as_str).unwrap_or("");
        return t.render(&[("value", v), ("attribute_type", modality)]);
    }
    let instructions = t.render(&[("value", "each attribute"), ("attribute_type", modality)]);
    tpl(ENRICH_BATCH, &["modality", "instructions", "attr_list"]).render(&[
        ("modality", modality),
        ("instructions", &instructions),
        ("attr_list", &numbered_list(values)),
    ])
}

/// Renders a labelling prompt for one or several clusters with `templates` (`label.txt` serves one cluster per
/// call; several per call use the built-in batch form).
pub fn render_label_with(
    templates: &ClusterTemplates,
    modality: &str,
    clusters: &[Vec<String>],
) -> String {
    if clusters.len() == 1 {
        let members = clusters[0]
            .iter()
            .map(|m| format!("- {m}"))
            .collect::<Vec<_>>()
            .join("\n");
        let t = templates
            .label
            .clone()
            .unwrap_or_else(|| tpl(LABEL, LABEL_VARS));
        return t.render(&[("modality", modality), ("members", &members)]);
    }
    let groups: Vec<String> = clusters.iter().map(|c| c.join(", ")).collect();
    tpl(LABEL_BATCH, &["modality", "groups"])
        .render(&[("modality", modality), ("groups", &numbered_list(&groups))])
}

/// What the scoring prompt shows of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterCard {
    pub modality: String,
    pub label: String,
    pub summary: String,
    pub members: Vec<String>,
}

/// Renders a compatibility prompt: `source` against numbered `targets`.
#[cfg(test)]
pub fn render_score(source: &ClusterCard, targets: &[ClusterCard]) -> String {
    render_score_with(&ClusterTemplates::default(), source, targets)
}

/// Renders a compatibility prompt with `templates`.
pub fn render_score_with(
    templates: &ClusterTemplates,
    source: &ClusterCard,
    targets: &[ClusterCard],
) -> String {
    let lines: Vec<String> = targets
        .iter()
        .map(|t| {
            let mut s = format!("{} ({})", t.label, t.modality);
            if !t.summary.is_empty() {
                s.push_str(&format!(" \u{2014} {}", t.summary));
            }
            s.push_str(&format!(" Members: {}", t.members.join(", ")));
            s
        })
        .collect();
    let t = templates
        .score
        .clone()
        .unwrap_or_else(|| tpl(COMPAT, SCORE_VARS));
    t.render(&[
        ("modality_a", &source.modality),
        ("label_a", &source.label),
        ("desc_a", &source.summary),
        ("members_a", &source.members.join(", ")),
        ("targets", &numbered_list(&lines)),
    ])
}

/// The text of every cluster template (part of the journal keys, so editing
/// a prompt re-asks instead of replaying).
pub fn templates_digest() -> &'static str {
    static D: OnceLock<String> = OnceLock::new();
    D.get_or_init(|| {
        let mut h = blake3::Hasher::new();
        for t in [
            ENRICH_BRAND,
            ENRICH_AUDIENCE,
            ENRICH_GEO,
            ENRICH_PLATFORM,
            ENRICH_FALLBACK,
            ENRICH_BATCH,
            LABEL,
            LABEL_BATCH,
            COMPAT,
        ] {
            h.update(t.as_bytes());
            h.update(&[0]);
        }
        h.finalize().to_hex()[..16].to_string()
    })
}

// --------------------------------------------------------------- parsing --

/// A cluster label as answered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClusterLabel {
    pub label: String,
    pub summary: String,
    pub characteristics: Vec<String>,
}

fn label_value(v: &Value) -> Result<ClusterLabel, String> {
    let Value::Object(o) = v else {
        return Err(format!("{v} is not a JSON object"));
    };
    let label = o
        .get("label")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("missing a non-empty string \"label\"")?
        .to_string();
    let summary = o
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    let characteristics = o
        .get("characteristics")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(ClusterLabel {
        label,
        summary,
        characteristics,
    })
}

/// Parses a labelling reply for `n` clusters.
pub fn parse_labels(reply: &str, n: usize) -> Result<Vec<ClusterLabel>, ParseError> {
    if n == 1 {
        let o = parse_object(reply)?;
        return label_value(&Value::Object(o))
            .map(|l| vec![l])
            .map_err(ParseError);
    }
    parse_numbered(reply, n, label_value)
}

/// Parses an enrichment reply for `n` values.
pub fn parse_descriptions(reply: &str, n: usize, batched: bool) -> Result<Vec<String>, ParseError> {
    if !batched {
        let t = reply.trim();
        if t.is_empty() {
            return Err(ParseError("empty description".into()));
        }
        return Ok(vec![t.to_string()]);
    }
    parse_numbered(reply, n, |v| match v.as_str().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(format!("{v} is not a non-empty string")),
    })
}

/// Parses a compatibility reply for `n` targets (`None` = null).
pub fn parse_scores(reply: &str, n: usize) -> Result<Vec<Option<f64>>, ParseError> {
    parse_numbered(reply, n, score_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid() {
        for (t, vars) in [
            (ENRICH_BRAND, &["value", "attribute_type"][..]),
            (ENRICH_AUDIENCE, &["value", "attribute_type"]),
            (ENRICH_GEO, &["value", "attribute_type"]),
            (ENRICH_PLATFORM, &["value", "attribute_type"]),
            (ENRICH_FALLBACK, &["value", "attribute_type"]),
            (ENRICH_BATCH, &["modality", "instructions", "attr_list"]),
            (LABEL, &["modality", "members"]),
            (LABEL_BATCH, &["modality", "groups"]),
            (
                COMPAT,
                &["modality_a", "label_a", "desc_a", "members_a", "targets"],
            ),
        ] {
            assert!(Template::new(t, vars, &[]).is_ok(), "{t}");
        }
        let p = render_describe("Brand", &["Nike".into()], false);
        assert!(p.starts_with("Describe Nike across these dimensions"));
        let p = render_describe("interest", &["Chess".into()], false);
        assert!(p.starts_with("Describe 'Chess' (type: interest)"));
        let p = render_describe("geo", &["Peru".into(), "Chile".into()], true);
        assert!(p.contains("[1] Peru\n[2] Chile") && p.contains("{\"1\": \"...\""));
        let card = |l: &str| ClusterCard {
            modality: "brand".into(),
            label: l.into(),
            summary: "s".into(),
            members: vec!["A".into(), "B".into()],
        };
        let p = render_score(&card("Lux"), &[card("X"), card("Y")]);
        assert!(p.contains(
            "SOURCE \u{2014} brand: Lux\ns\nMembers: A, B\nTARGET CLUSTERS:\n[1] X (brand)"
        ));
        assert!(p.contains("{\"1\": 8, \"2\": 3, \"3\": null}"));
    }

    #[test]
    fn parsers() {
        let l = parse_labels(
            r#"{"label": "Lux", "summary": "s", "characteristics": ["a","b","c"]}"#,
            1,
        )
        .unwrap();
        assert_eq!(l[0].label, "Lux");
        assert!(parse_labels(r#"{"summary": "s"}"#, 1).is_err());
        let l = parse_labels(r#"{"1": {"label": "A"}, "2": {"label": "B"}}"#, 2).unwrap();
        assert_eq!(l[1].label, "B");
        assert_eq!(
            parse_scores(r#"{"1": 8, "2": null}"#, 2).unwrap(),
            vec![Some(8.0), None]
        );
        assert!(parse_descriptions("  ", 1, false).is_err());
        assert_eq!(
            parse_descriptions(r#"{"1": "x", "2": "y"}"#, 2, true).unwrap(),
            vec!["x", "y"]
        );
    }
}
