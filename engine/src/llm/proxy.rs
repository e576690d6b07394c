//! Proxy settings of the HTTP client, read from the environment as curl
//! reads them: `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http URLs,
//! `ALL_PROXY` for both, and `NO_PROXY` (comma-separated hosts, domains,
//! IPs or CIDR blocks) for destinations reached directly. Lower-case names
//! are accepted too. Nothing else (no system configuration) is consulted, so
//! what the client does is what these variables say.

use crate::{Error, Result};

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
        let entries: [(&str, &Option<String>, fn(&str) -> reqwest::Result<reqwest::Proxy>); 3] = [
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
