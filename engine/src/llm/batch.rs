//! Provider batch APIs (OpenAI's `/v1/files` + `/v1/batches`, and servers
//! that copy it): the HTTP side of `transport = 'batch'`.
//!
//! A batch input file is JSONL, one line per request:
//! `{"custom_id", "method": "POST", "url": "/v1/chat/completions" |
//! "/v1/embeddings", "body": {...}}` (the body a synchronous call would
//! send). It is uploaded with `POST /v1/files` (multipart, `purpose=batch`),
//! started with `POST /v1/batches`, polled with `GET /v1/batches/{id}`, and
//! its output and error files are read with `GET /v1/files/{id}/content`:
//! one line per request, `{"custom_id", "response": {"status_code",
//! "body"}, "error"}`, in no particular order.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::llm::backend::{BoxFuture, CallError};
use crate::llm::usage::Reply;

/// The chat and embeddings endpoints a batch line names.
pub const CHAT_URL: &str = "/v1/chat/completions";
pub const EMBEDDINGS_URL: &str = "/v1/embeddings";

/// A batch as the server describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchStatus {
    pub id: String,
    /// validating, in_progress, finalizing, completed, failed, expired,
    /// cancelling, cancelled.
    pub status: String,
    pub output_file_id: Option<String>,
    pub error_file_id: Option<String>,
    pub completed: u64,
    pub failed: u64,
    pub total: u64,
    /// The server's reason when the batch failed validation.
    pub errors: Option<String>,
}

impl BatchStatus {
    /// Whether the batch will change no more (its files can be read).
    pub fn is_done(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed" | "failed" | "expired" | "cancelled"
        )
    }

    /// Reads `GET /v1/batches/{id}`'s answer.
    pub fn from_json(v: &Value) -> Option<BatchStatus> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let n = |k: &str| {
            v.pointer(&format!("/request_counts/{k}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        Some(BatchStatus {
            id: s("id")?,
            status: s("status")?,
            output_file_id: s("output_file_id").filter(|x| !x.is_empty()),
            error_file_id: s("error_file_id").filter(|x| !x.is_empty()),
            completed: n("completed"),
            failed: n("failed"),
            total: n("total"),
            errors: v
                .pointer("/errors/data")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

/// What a batch-capable backend offers.
pub trait BatchApi: Send + Sync {
    /// The body a chat request sends.
    fn chat_body(&self, req: &crate::llm::backend::Request) -> Value;
    /// The body an embeddings request for `inputs` sends; `Err` when no
    /// embedding model is set.
    fn embed_body(&self, inputs: &[String]) -> Result<Value, String>;
    /// The reply of a chat response body.
    fn chat_reply(&self, body: &Value) -> Result<Reply, String>;
    /// The reply (JSON array of vectors) of an embeddings response body.
    fn embed_reply(&self, body: &Value, inputs: usize) -> Result<Reply, String>;
    /// Uploads a JSONL file for a batch; its file id.
    fn upload<'a>(&'a self, jsonl: Vec<u8>) -> BoxFuture<'a, Result<String, CallError>>;
    /// Starts a batch of `file_id` against `endpoint`.
    fn create<'a>(
        &'a self,
        file_id: &'a str,
        endpoint: &'a str,
        metadata: Value,
    ) -> BoxFuture<'a, Result<BatchStatus, CallError>>;
    /// The batch's status.
    fn status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<BatchStatus, CallError>>;
    /// A file's content (output and error files).
    fn content<'a>(&'a self, file_id: &'a str) -> BoxFuture<'a, Result<String, CallError>>;
}

/// One line of a batch input file.
pub fn input_line(custom_id: &str, url: &str, body: &Value) -> String {
    serde_json::json!({"custom_id": custom_id, "method": "POST", "url": url, "body": body})
        .to_string()
}

/// One line of an output or error file: its custom id and either the
/// response body (status 2xx) or why it has none.
pub fn output_line(line: &str) -> Option<(String, Result<Value, String>)> {
    let v: Value = serde_json::from_str(line).ok()?;
    let id = v.get("custom_id")?.as_str()?.to_string();
    let status = v.pointer("/response/status_code").and_then(Value::as_u64);
    let body = v.pointer("/response/body");
    let result = match (status, body) {
        (Some(s), Some(b)) if (200..300).contains(&s) => Ok(b.clone()),
        _ => Err(match v.get("error").filter(|e| !e.is_null()) {
            Some(e) => format!(
                "batch line failed: {}",
                crate::llm::parse::excerpt(&e.to_string())
            ),
            None => format!(
                "batch line answered HTTP {}: {}",
                status.map_or("?".into(), |s| s.to_string()),
                crate::llm::parse::excerpt(&body.map(|b| b.to_string()).unwrap_or_default())
            ),
        }),
    };
    Some((id, result))
}

/// A `multipart/form-data` body with `purpose=batch` and the JSONL file
/// (written here: the form is two fields and the client is built without
/// reqwest's multipart feature). Returns (content type, body).
pub fn multipart(jsonl: &[u8], boundary: &str) -> (String, Vec<u8>) {
    let mut b = Vec::with_capacity(jsonl.len() + 300);
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"valence-batch.jsonl\"\r\n\
             Content-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(jsonl);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lines_read_good_and_bad_answers() {
        let ok = r#"{"id":"r1","custom_id":"a","response":{"status_code":200,"body":{"x":1}},"error":null}"#;
        assert_eq!(
            output_line(ok),
            Some(("a".into(), Ok(serde_json::json!({"x": 1}))))
        );
        let bad = r#"{"custom_id":"b","response":{"status_code":500,"body":{"error":"boom"}}}"#;
        let (id, r) = output_line(bad).unwrap();
        assert_eq!(id, "b");
        assert!(r.unwrap_err().contains("HTTP 500"));
        let err = r#"{"custom_id":"c","response":null,"error":{"code":"batch_expired","message":"expired"}}"#;
        assert!(
            output_line(err)
                .unwrap()
                .1
                .unwrap_err()
                .contains("batch_expired")
        );
        assert_eq!(output_line("not json"), None);
    }

    #[test]
    fn status_reads_request_counts() {
        let v = serde_json::json!({"id": "batch_1", "status": "in_progress", "output_file_id": null,
            "request_counts": {"total": 10, "completed": 4, "failed": 1}});
        let s = BatchStatus::from_json(&v).unwrap();
        assert_eq!((s.completed, s.failed, s.total), (4, 1, 10));
        assert!(!s.is_done());
        assert_eq!(s.output_file_id, None);
    }

    #[test]
    fn multipart_holds_purpose_and_file() {
        let (ct, body) = multipart(b"{\"a\":1}\n", "XyZ");
        assert_eq!(ct, "multipart/form-data; boundary=XyZ");
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("name=\"purpose\"\r\n\r\nbatch\r\n--XyZ\r\n"));
        assert!(text.contains("\r\n\r\n{\"a\":1}\n\r\n--XyZ--\r\n"));
    }
}
