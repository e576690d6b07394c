//! Structured outputs: the `response_format` a chat request carries.
//!
//! * `text` (default): none; the report's prompts ask for JSON in words.
//! * `json_object`: `{"type": "json_object"}` on every prompt whose reply
//!   is JSON (all but the one-attribute enrichment prompt, whose reply is
//!   prose).
//! * `json_schema`: a strict schema per prompt kind:
//!   sign classification: an object whose keys are exactly the bracket
//!   numbers `"1"..="n"`, each `+`, `-` or `0`, no other property;
//!   batched enrichment: the bracket numbers, each a string; labelling:
//!   `{label, summary, characteristics: [string]}` (one cluster) or the
//!   bracket numbers, each such an object; cluster scoring: the bracket
//!   numbers, each a number or null.
//!
//! Replies are parsed as strictly either way: a server that accepts a
//! schema without enforcing it gains nothing wrong.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::llm::backend::Task;
use crate::llm::cluster_tasks::ClusterTask;

/// `response_format` of `GENERATE ... WITH (...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseFormat {
    #[default]
    Text,
    JsonObject,
    JsonSchema,
}

impl ResponseFormat {
    pub fn name(self) -> &'static str {
        match self {
            ResponseFormat::Text => "text",
            ResponseFormat::JsonObject => "json_object",
            ResponseFormat::JsonSchema => "json_schema",
        }
    }
}

/// An object whose properties are exactly `"1"..="n"`, each `item`.
fn numbered(n: usize, item: &Value) -> Value {
    let keys: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let props: serde_json::Map<String, Value> =
        keys.iter().map(|k| (k.clone(), item.clone())).collect();
    json!({"type": "object", "properties": props, "required": keys, "additionalProperties": false})
}

fn label_object() -> Value {
    json!({"type": "object", "properties": {
            "label": {"type": "string"},
            "summary": {"type": "string"},
            "characteristics": {"type": "array", "items": {"type": "string"}}},
        "required": ["label", "summary", "characteristics"],
        "additionalProperties": false})
}

/// The schema of a task's reply, and its name; `None` for a prose reply.
pub fn schema(task: &Task) -> Option<(&'static str, Value)> {
    let sign = json!({"type": "string", "enum": ["+", "-", "0"]});
    Some(match task {
        Task::ClassifySigns { targets, .. } => {
            ("sign_classification", numbered(targets.len(), &sign))
        }
        Task::Cluster(t) => match t {
            ClusterTask::ClassifyMixed { targets, .. } => {
                ("sign_classification", numbered(targets.len(), &sign))
            }
            ClusterTask::Describe { batched: false, .. } => return None,
            ClusterTask::Describe { values, .. } => (
                "descriptions",
                numbered(values.len(), &json!({"type": "string"})),
            ),
            ClusterTask::Label { clusters, .. } if clusters.len() == 1 => {
                ("cluster_label", label_object())
            }
            ClusterTask::Label { clusters, .. } => {
                ("cluster_labels", numbered(clusters.len(), &label_object()))
            }
            ClusterTask::Score { targets, .. } => (
                "cluster_scores",
                numbered(targets.len(), &json!({"type": ["number", "null"]})),
            ),
        },
    })
}

/// The `response_format` member of a chat request for `task`, if any.
pub fn response_format(format: ResponseFormat, task: &Task) -> Option<Value> {
    let (name, schema) = match format {
        ResponseFormat::Text => return None,
        _ => schema(task)?,
    };
    Some(match format {
        ResponseFormat::JsonSchema => {
            json!({"type": "json_schema", "json_schema": {"name": name, "strict": true, "schema": schema}})
        }
        _ => json!({"type": "json_object"}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signs(n: usize) -> Task {
        Task::ClassifySigns {
            primary_modality: "brand".into(),
            primary_value: "Nike".into(),
            target_modality: "audience".into(),
            targets: (0..n).map(|i| format!("t{i}")).collect(),
        }
    }

    #[test]
    fn the_sign_schema_has_exactly_the_bracket_numbers() {
        let f = response_format(ResponseFormat::JsonSchema, &signs(3)).unwrap();
        assert_eq!(f["type"], "json_schema");
        assert_eq!(f["json_schema"]["strict"], true);
        let s = &f["json_schema"]["schema"];
        assert_eq!(s["required"], json!(["1", "2", "3"]));
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["2"]["enum"], json!(["+", "-", "0"]));
        assert_eq!(s["properties"].as_object().unwrap().len(), 3);
        assert_eq!(response_format(ResponseFormat::Text, &signs(3)), None);
        assert_eq!(
            response_format(ResponseFormat::JsonObject, &signs(3)),
            Some(json!({"type": "json_object"}))
        );
        let prose = Task::Cluster(ClusterTask::Describe {
            modality: "brand".into(),
            values: vec!["Nike".into()],
            batched: false,
        });
        assert_eq!(response_format(ResponseFormat::JsonObject, &prose), None);
    }
}
