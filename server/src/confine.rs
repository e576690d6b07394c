//! Statements arriving over HTTP never reach the server's files outside the
//! data directory, and never choose where the LLM client connects.
//!
//! Every path a statement names (LOAD, IMPORT, EXPORT and each SPLIT part,
//! CHECK GRAPH, and the GENERATE path options, quoted or bare words) must be
//! relative, without `..`, and inside `--data-dir` once symbolic links are
//! resolved (a dangling link is refused); it is then rewritten to that
//! resolved path before the statement runs (the statement text stored in
//! manifests keeps what the client wrote).
//! Without `--data-dir` no path is allowed. Options that pick an endpoint
//! (`base_url`) are refused: the endpoint is the server's configuration.

use std::path::{Component, Path, PathBuf};

use axum::http::StatusCode;
use valence_dsl::ast::{Literal, OptionKv, Span, Spanned, Statement, StatementKind};
use valence_engine::ObjRef;

use crate::error::ApiError;

/// GENERATE options whose value is a file path.
const PATH_OPTIONS: &[&str] = &["reference", "prompt", "batch_dir", "prompts"];
/// Options a client may not set over HTTP: they choose outbound endpoints.
const SERVER_ONLY_OPTIONS: &[&str] = &["base_url"];

/// The confinement of one server.
#[derive(Debug, Clone)]
pub struct Confine {
    /// Canonical data directory.
    data_dir: Option<PathBuf>,
}

impl Confine {
    pub fn new(data_dir: Option<&Path>) -> std::io::Result<Confine> {
        Ok(Confine {
            data_dir: data_dir.map(std::fs::canonicalize).transpose()?,
        })
    }

    /// Checks and rewrites every path of the statements, refuses
    /// server-only options.
    pub fn statements(&self, stmts: &mut [Statement]) -> Result<(), ApiError> {
        for s in stmts {
            self.statement(s)?;
        }
        Ok(())
    }

    fn statement(&self, stmt: &mut Statement) -> Result<(), ApiError> {
        match &mut stmt.kind {
            StatementKind::LoadCatalogue { path, .. }
            | StatementKind::ImportEvaluations { path }
            | StatementKind::ImportGraph { path, .. }
            | StatementKind::CheckGraph { path, .. } => self.path(path, "the input file"),
            StatementKind::ExportGraph { path, .. } => self.path(path, "the export target"),
            StatementKind::ExportDataset {
                path,
                options,
                split,
                ..
            } => {
                // Each SPLIT part is a file of its own beside the target (a
                // link there must not lead outside either).
                for part in split.iter().flat_map(|s| &s.parts) {
                    let file = valence_engine::part_path(Path::new(&path.node), &part.name.node);
                    self.resolve(&file.to_string_lossy()).map_err(|msg| {
                        forbidden(
                            "forbidden_path",
                            format!("the export part '{}': {msg}", file.display()),
                            part.name.span,
                        )
                        .hint("name a file relative to the server's data directory, without `..`")
                    })?;
                }
                self.path(path, "the export target")?;
                self.options(options)
            }
            StatementKind::Generate(g) | StatementKind::ExplainGenerate(g) => {
                self.options(&mut g.options)
            }
            StatementKind::Sample(s) => self.options(&mut s.options),
            StatementKind::Diagnose(d) => self.options(&mut d.options),
            StatementKind::CompareGraph { .. }
            | StatementKind::CheckDatabase
            | StatementKind::Show(_)
            | StatementKind::ShowVersions { .. }
            | StatementKind::Describe { .. }
            | StatementKind::Drop { .. }
            | StatementKind::Select(_)
            | StatementKind::ShowLeaderboard(_)
            | StatementKind::ShowEvaluations(_)
            | StatementKind::DropEvaluation { .. }
            | StatementKind::EvaluateBaseline { .. } => Ok(()),
        }
    }

    fn options(&self, options: &mut [OptionKv]) -> Result<(), ApiError> {
        for kv in options {
            let key = kv.key.node.to_ascii_lowercase();
            if SERVER_ONLY_OPTIONS.contains(&key.as_str()) {
                return Err(forbidden(
                    "forbidden_option",
                    format!("option {key} cannot be set over HTTP: the LLM endpoint is the server's configuration"),
                    kv.key.span,
                )
                .hint(format!(
                    "remove {key}; the server's operator sets the endpoint (OPENAI_BASE_URL in its environment)"
                )));
            }
            if PATH_OPTIONS.contains(&key.as_str()) {
                // A bare word (`reference = secrets`) is a path too: the
                // engine reads it as one, relative to the server's directory.
                let given = match &kv.value.node {
                    Literal::Str(p) | Literal::Ident(p) => p.clone(),
                    Literal::Int(n) => n.to_string(),
                    Literal::Float(x) => x.to_string(),
                    Literal::Bool(b) => b.to_string(),
                };
                let mut s = Spanned {
                    node: given,
                    span: kv.value.span,
                };
                self.path(&mut s, &format!("option {key}"))?;
                kv.value.node = Literal::Str(s.node);
            }
        }
        Ok(())
    }

    /// Resolves `p` inside the data directory and rewrites it.
    fn path(&self, p: &mut Spanned<String>, what: &str) -> Result<(), ApiError> {
        let resolved = self.resolve(&p.node).map_err(|msg| {
            forbidden(
                "forbidden_path",
                format!("{what} '{}': {msg}", p.node),
                p.span,
            )
            .hint(match &self.data_dir {
                None => {
                    "use the upload and download endpoints (PUT /v1/catalogues/{name}, \
                             GET /v1/datasets/{name}), or start the server with --data-dir DIR"
                }
                Some(_) => "name a file relative to the server's data directory, without `..`",
            })
        })?;
        p.node = resolved.to_string_lossy().into_owned();
        Ok(())
    }

    fn resolve(&self, given: &str) -> Result<PathBuf, String> {
        let Some(root) = &self.data_dir else {
            return Err("this server allows no file paths in statements".into());
        };
        let rel = Path::new(given);
        if given.is_empty() {
            return Err("an empty path".into());
        }
        for c in rel.components() {
            match c {
                Component::Normal(_) | Component::CurDir => {}
                Component::ParentDir => return Err("`..` is not allowed".into()),
                Component::RootDir | Component::Prefix(_) => {
                    return Err("absolute paths are not allowed".into());
                }
            }
        }
        let joined = root.join(rel);
        // Resolve symbolic links of what exists: the file itself, else its
        // directory (a new export target).
        let resolved = match std::fs::canonicalize(&joined) {
            Ok(p) => p,
            // A dangling link: writing through it would create its target,
            // wherever that is.
            Err(_) if std::fs::symlink_metadata(&joined).is_ok() => {
                return Err("it is a symbolic link to a file that does not exist".into());
            }
            Err(_) => {
                let parent = joined.parent().unwrap_or(root);
                let name = joined
                    .file_name()
                    .ok_or_else(|| "not a file name".to_string())?;
                let dir = std::fs::canonicalize(parent).map_err(|_| {
                    "its directory does not exist in the data directory".to_string()
                })?;
                dir.join(name)
            }
        };
        if !resolved.starts_with(root) {
            return Err("it leads outside the data directory (through a symbolic link)".into());
        }
        Ok(resolved)
    }
}

fn forbidden(code: &str, message: String, span: Span) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message).at(span.line, span.col)
}

/// `name` or `name@N` from a URL segment.
pub fn object_ref(s: &str) -> Result<ObjRef, ApiError> {
    let bad = || {
        ApiError::bad_request(format!("'{s}' is not an object reference"))
            .hint("use name or name@N, e.g. campaigns@2")
    };
    match s.split_once('@') {
        None => {
            valence_engine::check_name(s).map_err(|_| bad())?;
            Ok(ObjRef::latest(s))
        }
        Some((n, v)) => {
            valence_engine::check_name(n).map_err(|_| bad())?;
            let v: u32 = v.parse().map_err(|_| bad())?;
            Ok(ObjRef::at(n, v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(src: &str) -> Vec<Statement> {
        valence::parse_script(src).unwrap()
    }

    #[test]
    fn paths_are_confined_to_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("c.csv"), "modality,value\n").unwrap();
        std::fs::write(dir.path().join("secret.csv"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.csv"), data.join("link.csv")).unwrap();
        let c = Confine::new(Some(&data)).unwrap();
        let mut ok = parsed("LOAD CATALOGUE c FROM 'c.csv';");
        c.statements(&mut ok).unwrap();
        let StatementKind::LoadCatalogue { path, .. } = &ok[0].kind else {
            panic!()
        };
        assert_eq!(
            Path::new(&path.node),
            data.canonicalize().unwrap().join("c.csv")
        );
        for bad in ["../secret.csv", "/etc/passwd", "link.csv", "nodir/x.csv"] {
            let mut s = parsed(&format!("LOAD CATALOGUE c FROM '{bad}';"));
            let e = c.statements(&mut s).unwrap_err();
            assert_eq!(e.status, StatusCode::FORBIDDEN, "{bad}");
            assert_eq!(e.body.code, "forbidden_path", "{bad}");
            assert_eq!((e.body.line, e.body.col), (Some(1), Some(23)), "{bad}");
        }
        // A new export target inside the data dir is fine.
        let mut s = parsed("EXPORT GRAPH g TO 'out.csv';");
        c.statements(&mut s).unwrap();
        // No data dir: no path at all.
        let none = Confine::new(None).unwrap();
        let mut s = parsed("LOAD CATALOGUE c FROM 'c.csv';");
        assert_eq!(
            none.statements(&mut s).unwrap_err().body.code,
            "forbidden_path"
        );
    }

    #[test]
    fn endpoint_options_and_path_options() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ref.csv"), "").unwrap();
        let c = Confine::new(Some(dir.path())).unwrap();
        let mut s = parsed(
            "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'openai', base_url = 'http://169.254.169.254/');",
        );
        let e = c.statements(&mut s).unwrap_err();
        assert_eq!(e.body.code, "forbidden_option");
        assert!(e.body.message.contains("base_url"), "{}", e.body.message);
        let mut s = parsed(
            "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'oracle', reference = '/etc/passwd');",
        );
        assert_eq!(
            c.statements(&mut s).unwrap_err().body.code,
            "forbidden_path"
        );
        let mut s = parsed(
            "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = 'oracle', reference = 'ref.csv');",
        );
        c.statements(&mut s).unwrap();
    }

    /// A bare word is a path too (the engine reads `reference = secrets` as
    /// the file `secrets` in the server's directory): confined, and
    /// rewritten to the resolved file when it is inside.
    #[test]
    fn bare_word_path_options_are_confined() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("inside"), "").unwrap();
        let c = Confine::new(Some(&data)).unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), data.join("link")).unwrap();
        std::fs::write(dir.path().join("secret"), "").unwrap();
        for key in PATH_OPTIONS {
            // Rewritten into the data dir, never left relative to the
            // server's own directory.
            for word in ["inside", "absent"] {
                let mut s = parsed(&format!(
                    "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = oracle, {key} = {word});"
                ));
                c.statements(&mut s).unwrap();
                let StatementKind::Generate(g) = &s[0].kind else {
                    panic!()
                };
                let v = &g
                    .options
                    .iter()
                    .find(|o| o.key.node == *key)
                    .unwrap()
                    .value
                    .node;
                let want = data.canonicalize().unwrap().join(word);
                assert_eq!(
                    v,
                    &Literal::Str(want.to_string_lossy().into_owned()),
                    "{key}"
                );
            }
            let mut s = parsed(&format!(
                "GENERATE GRAPH g FROM c USING BRUTE_FORCE WITH (backend = oracle, {key} = link);"
            ));
            let e = c.statements(&mut s).unwrap_err();
            assert_eq!(e.body.code, "forbidden_path", "{key}: {}", e.body.message);
        }
    }

    /// Every SPLIT part is confined like the target: a link at a part's
    /// name leading outside is refused.
    #[test]
    fn split_parts_are_confined() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::os::unix::fs::symlink(dir.path().join("pwned.jsonl"), data.join("out.train.jsonl"))
            .unwrap();
        let c = Confine::new(Some(&data)).unwrap();
        let mut s = parsed("EXPORT DATASET ds TO 'out.jsonl' SPLIT (train 0.8, test 0.2);");
        let e = c.statements(&mut s).unwrap_err();
        assert_eq!(e.body.code, "forbidden_path", "{}", e.body.message);
        assert!(
            e.body.message.contains("out.train.jsonl"),
            "{}",
            e.body.message
        );
        let mut s = parsed("EXPORT DATASET ds TO 'ok.jsonl' SPLIT (train 0.8, test 0.2);");
        c.statements(&mut s).unwrap();
    }

    #[test]
    fn object_refs_from_urls() {
        assert_eq!(object_ref("ds").unwrap(), ObjRef::latest("ds"));
        assert_eq!(object_ref("ds@2").unwrap(), ObjRef::at("ds", 2));
        assert_eq!(
            object_ref("ds@x").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            object_ref("../x").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }
}
