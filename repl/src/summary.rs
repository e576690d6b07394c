//! What a script run wrote where: printed at the end of a script run in
//! table mode, so the user knows which database file holds which new
//! versions and where the exported files are.

use valence::QueryResult;
use valence_dsl::ast::{Statement, StatementKind};

/// Statements that write to the database (refused by `-readonly`).
pub fn writes_store(k: &StatementKind) -> bool {
    matches!(
        k,
        StatementKind::LoadCatalogue { .. }
            | StatementKind::ImportGraph { .. }
            | StatementKind::Generate(_)
            | StatementKind::Sample(_)
            | StatementKind::Drop { .. }
    )
}

/// Whether `k` is an export that writes (one of) its file(s) to this
/// process's standard output: `/dev/stdout` and its aliases, or the file or
/// FIFO standard output is redirected to, decided by the engine's own rule;
/// with SPLIT, any part's file (a part can be a symlink to `/dev/stdout`).
pub fn writes_stdout(k: &StatementKind) -> bool {
    export_files(k)
        .iter()
        .any(|f| valence::is_standard_output(f))
}

/// The files an EXPORT statement writes (each SPLIT part); none for the
/// other statements.
pub fn export_files(k: &StatementKind) -> Vec<std::path::PathBuf> {
    let path = |p: &str| std::path::PathBuf::from(p);
    match k {
        StatementKind::ExportGraph { path: p, .. }
        | StatementKind::ExportDataset {
            path: p,
            split: None,
            ..
        } => vec![path(&p.node)],
        StatementKind::ExportDataset {
            path: p,
            split: Some(s),
            ..
        } => s
            .parts
            .iter()
            .map(|q| valence::part_path(&path(&p.node), &q.name.node))
            .collect(),
        _ => Vec::new(),
    }
}

/// The objects and files written by the statements of a run.
#[derive(Default)]
pub struct Written {
    objects: Vec<String>,
    files: Vec<String>,
}

fn version(r: &QueryResult) -> String {
    r.table()
        .get(0, "version")
        .and_then(|v| v.as_i64())
        .map(|v| format!("@{v}"))
        .unwrap_or_default()
}

impl Written {
    /// Notes what a finished statement wrote.
    pub fn record(&mut self, stmt: &Statement, r: &QueryResult) {
        let object = |kind: &str, name: &str| format!("{kind} {name}{}", version(r));
        match &stmt.kind {
            StatementKind::LoadCatalogue { name, .. } => {
                self.objects.push(object("catalogue", &name.node))
            }
            StatementKind::ImportGraph { name, .. } => {
                self.objects.push(object("graph", &name.node))
            }
            StatementKind::Generate(g) => self.objects.push(object("graph", &g.name.node)),
            StatementKind::Sample(s) => self.objects.push(object("dataset", &s.into.node)),
            StatementKind::Drop { kind, target, .. } => {
                self.objects
                    .push(format!("dropped {} {}", kind.as_str(), target.node))
            }
            StatementKind::ExportGraph { path, .. } | StatementKind::ExportDataset { path, .. } => {
                self.record_files(r, &path.node)
            }
            _ => {}
        }
    }

    /// Export results list their file(s) in a `path` column, with a count.
    fn record_files(&mut self, r: &QueryResult, fallback: &str) {
        let t = r.table();
        let count = ["rows", "edges"]
            .into_iter()
            .find(|c| t.column(c).is_some());
        let mut any = false;
        for i in 0..t.rows.len() {
            let Some(path) = t.get(i, "path").and_then(|v| v.as_str()) else {
                continue;
            };
            any = true;
            let n = count
                .and_then(|c| t.get(i, c).and_then(|v| v.as_i64()).map(|n| (c, n)))
                .map(|(c, n)| format!(" ({n} {c})"))
                .unwrap_or_default();
            self.files.push(format!("{path}{n}"));
        }
        if !any {
            self.files.push(fallback.to_string());
        }
    }

    /// The closing summary, or `None` when nothing was written.
    pub fn render(&self, db: Option<&str>) -> Option<String> {
        if self.objects.is_empty() && self.files.is_empty() {
            return None;
        }
        let mut s = String::from("\nWritten:\n");
        if !self.objects.is_empty() {
            let place = match db {
                Some(p) => format!("database {p}"),
                None => "in-memory database (gone when valence exits)".to_string(),
            };
            s.push_str(&format!("  {place}: {}\n", self.objects.join(", ")));
        }
        for f in &self.files {
            s.push_str(&format!("  file {f}\n"));
        }
        Some(s)
    }
}
