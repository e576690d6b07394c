//! `CHECK DATABASE` (like SQLite's `PRAGMA integrity_check`): one row per
//! stored object version (`kind`, `name`, `version`, `status`, `detail`),
//! one per damaged journal entry, and a last row for the journal. `status`
//! is `ok`, `corrupt` or `unchecked` (no checksum stored). The statement
//! itself succeeds: the table is the answer, even when it reports damage.

use valence_engine::{Ctx, Engine, Integrity};

use super::at;
use crate::ast::Statement;
use crate::error::Result;
use crate::table::{Table, Value};

pub(crate) fn check_database(e: &Engine, stmt: &Statement, ctx: &Ctx) -> Result<Vec<Table>> {
    let entries = e.check_database(ctx).map_err(at(stmt.span))?;
    let bad = entries
        .iter()
        .filter(|x| !matches!(x.status, Integrity::Ok | Integrity::Unchecked))
        .count();
    let mut t = Table::new(&["kind", "name", "version", "status", "detail"]).titled(if bad == 0 {
        "ok: every checksum and payload verified".to_string()
    } else {
        format!("{bad} damaged")
    });
    for x in entries {
        t.push(vec![
            x.kind.into(),
            x.name.into(),
            x.version
                .map(|v| Value::Int(v.into()))
                .unwrap_or(Value::Null),
            match x.status {
                Integrity::Ok => "ok",
                Integrity::Unchecked => "unchecked",
                Integrity::PayloadCorrupt | Integrity::ManifestCorrupt => "corrupt",
            }
            .into(),
            x.detail.into(),
        ]);
    }
    Ok(vec![t])
}
