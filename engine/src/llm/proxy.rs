//! Proxy settings of the HTTP client, read from the environment as curl
//! reads them: `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http URLs,
//! `ALL_PROXY` for both, and `NO_PROXY` (comma-separated hosts, domains,
//! IPs or CIDR blocks) for destinations reached directly. Lower-case names
//! are accepted too. Nothing else (no system configuration) is consulted, so
//! what the client does is what these variables say.

use crate::{Error, Result};

/// A reqwest proxy constructor (`Proxy::https`, `::http`, `::all`).
type MakeProxy = fn(&str) -> reqwest::Result<reqwest::Proxy>;

/// The proxy variables in effect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub https: Option<String>,
    pub http: Option<String>,
    pub all: Option<String>,
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// From the process environment.
    pub fn from_env() -> ProxyEnv {
        ProxyEnv::from_lookup(&|k| std::env::var(k).ok())
    }

    /// From any variable lookup (tests pass a map instead of the process
    /// environment, which is shared by every thread).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> ProxyEnv {
        let first = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| get(n).filter(|v| !v.trim().is_empty()))
        };
        ProxyEnv {
            https: first(["HTTPS_PROXY", "https_proxy"]),
            http: first(["HTTP_PROXY", "http_proxy"]),
            all: first(["ALL_PROXY", "all_proxy"]),
            no_proxy: first(["NO_PROXY", "no_proxy"]),
        }
    }

    /// A client builder routed as these variables say.
    pub fn client_builder(&self) -> Result<reqwest::ClientBuilder> {
        let mut b = reqwest::Client::builder().no_proxy();
        let np = || {
            self.no_proxy
                .as_deref()
                .and_then(reqwest::NoProxy::from_string)
        };
        // The proxy URL may hold credentials: the message names the
        // variable only; reqwest's error stays available as `source()`.
        let bad = |var: &str, e: reqwest::Error| Error::Http {
            message: format!("{var} is not a usable proxy URL"),
            hint: Some(format!(
                "set {var} to a URL like http://proxy.example:3128, or unset it"
            )),
            source: e,
        };
        let entries: [(&str, &Option<String>, MakeProxy); 3] = [
            ("HTTPS_PROXY", &self.https, |u| reqwest::Proxy::https(u)),
            ("HTTP_PROXY", &self.http, |u| reqwest::Proxy::http(u)),
            ("ALL_PROXY", &self.all, |u| reqwest::Proxy::all(u)),
        ];
        for (var, url, make) in entries {
            if let Some(u) = url {
                let p = make(u.trim()).map_err(|e| bad(var, e))?;
                b = b.proxy(p.no_proxy(np()));
            }
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    //! A tiny proxy on 127.0.0.1 records the first request line it gets and
    //! answers it; the client is built exactly as GENERATE builds it, with a
    //! variable map in place of the process environment.
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;

    use super::*;
    use crate::llm::Backend;
    use crate::llm::backend::{OpenAiBackend, Request, Task};

    const REPLY: &str = r#"{"choices":[{"message":{"content":"{\"1\": \"+\"}"}}]}"#;

    /// Serves one connection: sends its request line to the channel, then
    /// answers 200 with a chat completion (or 502 to a CONNECT).
    fn one_shot_server() -> (u16, mpsc::Receiver<String>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut s, _)) = l.accept() else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut first = String::new();
            r.read_line(&mut first).unwrap();
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let _ = tx.send(first.trim_end().to_string());
            let answer = if first.starts_with("CONNECT") {
                "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{REPLY}",
                    REPLY.len()
                )
            };
            let _ = s.write_all(answer.as_bytes());
        });
        (port, rx)
    }

    fn call(base: &str, vars: &[(&str, String)]) -> Result<String, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let env = move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let b = OpenAiBackend::with_env(Some(base), "m", 0.0, &env).map_err(|e| e.to_string())?;
        let req = Request {
            task: Task::ClassifySigns {
                primary_modality: "brand".into(),
                primary_value: "Nike".into(),
                target_modality: "audience".into(),
                targets: vec!["Athletes".into()],
            },
            prompt: "p".into(),
        };
        let rt = crate::llm::runner::new_runtime().unwrap();
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(20), b.complete(&req)).await
        })
        .map_err(|_| "timeout".to_string())?
        .map_err(|e| e.message().to_string())
    }

    #[test]
    fn https_proxy_carries_https_requests() {
        let (port, rx) = one_shot_server();
        let r = call(
            "https://llm.example.invalid/v1",
            &[("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))],
        );
        // The proxy was asked to tunnel to the endpoint (and refused).
        let line = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert!(
            line.starts_with("CONNECT llm.example.invalid:443 "),
            "{line}"
        );
        assert!(r.is_err());
    }

    #[test]
    fn http_proxy_carries_http_requests() {
        let (port, rx) = one_shot_server();
        let r = call(
            "http://llm.example.invalid/v1",
            &[("http_proxy", format!("http://127.0.0.1:{port}"))],
        );
        let line = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(
            line,
            "POST http://llm.example.invalid/v1/chat/completions HTTP/1.1"
        );
        assert_eq!(r.unwrap(), r#"{"1": "+"}"#);
    }

    #[test]
    fn no_proxy_hosts_are_reached_directly() {
        // The proxy would record anything it got; the endpoint answers.
        let (proxy, proxy_rx) = one_shot_server();
        let (direct, direct_rx) = one_shot_server();
        let r = call(
            &format!("http://127.0.0.1:{direct}/v1"),
            &[
                ("HTTP_PROXY", format!("http://127.0.0.1:{proxy}")),
                ("ALL_PROXY", format!("http://127.0.0.1:{proxy}")),
                ("NO_PROXY", "localhost,127.0.0.1".into()),
            ],
        );
        assert_eq!(r.unwrap(), r#"{"1": "+"}"#);
        assert_eq!(
            direct_rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .unwrap(),
            "POST /v1/chat/completions HTTP/1.1"
        );
        assert!(proxy_rx.try_recv().is_err(), "the proxy was used");
    }

    #[test]
    fn without_variables_there_is_no_proxy() {
        let (direct, rx) = one_shot_server();
        let r = call(&format!("http://127.0.0.1:{direct}/v1"), &[]);
        assert_eq!(r.unwrap(), r#"{"1": "+"}"#);
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap(),
            "POST /v1/chat/completions HTTP/1.1"
        );
    }

    #[test]
    fn a_bad_proxy_url_is_an_http_error_keeping_reqwests_error() {
        use std::error::Error as _;
        let env = |k: &str| (k == "HTTPS_PROXY").then(|| "http://user:secret@[::1".to_string());
        let e = OpenAiBackend::with_env(Some("https://x.example/v1"), "m", 0.0, &env).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Http);
        assert!(e.to_string().contains("HTTPS_PROXY"), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
        let src = e.source().expect("source");
        assert!(src.downcast_ref::<reqwest::Error>().is_some(), "{src:?}");
    }

    #[test]
    fn no_model_and_no_openai_model_is_an_error_saying_so() {
        let e =
            OpenAiBackend::with_env(Some("http://127.0.0.1:9/v1"), "", 0.0, &|_| None).unwrap_err();
        assert!(e.to_string().contains("OPENAI_MODEL is not set"), "{e}");
        let env = |k: &str| (k == "OPENAI_MODEL").then(|| "llama3.2".to_string());
        let b = OpenAiBackend::with_env(Some("http://127.0.0.1:9/v1"), "", 0.0, &env).unwrap();
        assert!(b.journal_identity().contains("llama3.2"));
    }
}
