//! The `evaluations` table: one record per evaluation run (model scores on
//! an exact dataset version), keyed by run id. A child module of `store`.

use redb::{ReadableTable, TableDefinition};

use super::open::open_opt;
use super::{Store, st};
use crate::Result;

/// Run id → the run's record (JSON, see `eval.rs`).
const EVALUATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("evaluations");

impl Store {
    /// Stores runs in one transaction; an id already stored is an error and
    /// then nothing is written.
    pub fn evals_put(&self, runs: &[(String, Vec<u8>)]) -> Result<()> {
        self.write(|w| {
            let mut t = w.txn.open_table(EVALUATIONS).map_err(st)?;
            for (id, rec) in runs {
                if t.get(id.as_str()).map_err(st)?.is_some() {
                    return Err(crate::Error::invalid_hint(
                        format!(
                            "evaluation run '{}' already exists",
                            crate::limits::excerpt(id)
                        ),
                        "give each run a new run_id, or DROP EVALUATION it first",
                    ));
                }
                t.insert(id.as_str(), rec.as_slice()).map_err(st)?;
            }
            Ok(())
        })
    }

    /// Every stored run's record.
    pub fn evals_all(&self) -> Result<Vec<Vec<u8>>> {
        let txn = self.read_txn()?;
        let Some(t) = open_opt(&txn, EVALUATIONS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for r in t.iter().map_err(st)? {
            out.push(r.map_err(st)?.1.value().to_vec());
        }
        Ok(out)
    }

    /// Whether a run id is stored.
    pub fn eval_exists(&self, id: &str) -> Result<bool> {
        let txn = self.read_txn()?;
        let Some(t) = open_opt(&txn, EVALUATIONS)? else {
            return Ok(false);
        };
        Ok(t.get(id).map_err(st)?.is_some())
    }

    /// Removes a run; whether it existed.
    pub fn eval_drop(&self, id: &str) -> Result<bool> {
        self.write(|w| {
            let mut t = w.txn.open_table(EVALUATIONS).map_err(st)?;
            let existed = t.remove(id).map_err(st)?.is_some();
            Ok(existed)
        })
    }
}
