//! Service records: the `jobs` table of `valence serve` (one opaque record per
//! job id, written by the service) and the `job_keys` table mapping an
//! `Idempotency-Key` to the job it created. A child module of `store`, so it
//! reads the tables directly. The engine never interprets a record: its shape
//! belongs to the service crate.
//!
//! Each call is its own redb transaction, separate from the statements a job
//! runs, so a job's status survives a statement that fails or is cancelled.

use redb::{ReadableTable, TableDefinition};

use super::open::open_opt;
use super::{Store, st};
use crate::Result;

/// Job id → record bytes (JSON written by the service).
const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs");
/// Idempotency key → job id.
const JOB_KEYS: TableDefinition<&str, u64> = TableDefinition::new("job_keys");

impl Store {
    /// Creates a job record with the next id (1, 2, ...) and, when `key` is
    /// given, maps the key to it, in one transaction. When the key is already
    /// mapped, nothing is written and `Err(existing id)` is returned inside
    /// the `Ok`.
    pub fn job_create(
        &self,
        key: Option<&str>,
        record: impl FnOnce(u64) -> Vec<u8>,
    ) -> Result<std::result::Result<u64, u64>> {
        self.write(|w| {
            let mut keys = w.txn.open_table(JOB_KEYS).map_err(st)?;
            if let Some(k) = key
                && let Some(id) = keys.get(k).map_err(st)?
            {
                return Ok(Err(id.value()));
            }
            let mut jobs = w.txn.open_table(JOBS).map_err(st)?;
            let id = jobs.last().map_err(st)?.map_or(1, |(k, _)| k.value() + 1);
            jobs.insert(id, record(id).as_slice()).map_err(st)?;
            if let Some(k) = key {
                keys.insert(k, id).map_err(st)?;
            }
            Ok(Ok(id))
        })
    }

    /// Replaces a job's record (a status change).
    pub fn job_put(&self, id: u64, record: &[u8]) -> Result<()> {
        self.write(|w| {
            let mut jobs = w.txn.open_table(JOBS).map_err(st)?;
            jobs.insert(id, record).map_err(st)?;
            Ok(())
        })
    }

    /// A job's record.
    pub fn job_get(&self, id: u64) -> Result<Option<Vec<u8>>> {
        let txn = self.read_txn()?;
        let Some(jobs) = open_opt(&txn, JOBS)? else {
            return Ok(None);
        };
        Ok(jobs.get(id).map_err(st)?.map(|v| v.value().to_vec()))
    }

    /// Job records newest first: ids below `before` (all when `None`), at
    /// most `limit` of those `keep` accepts.
    pub fn jobs_newest_first(
        &self,
        before: Option<u64>,
        limit: usize,
        keep: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<(u64, Vec<u8>)>> {
        let txn = self.read_txn()?;
        let Some(jobs) = open_opt(&txn, JOBS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let range = jobs.range(..before.unwrap_or(u64::MAX)).map_err(st)?;
        for r in range.rev() {
            if out.len() >= limit {
                break;
            }
            let (k, v) = r.map_err(st)?;
            if keep(v.value()) {
                out.push((k.value(), v.value().to_vec()));
            }
        }
        Ok(out)
    }

    /// Rewrites, in one transaction, every record `f` changes (returns
    /// `Some(new record)` for); the count of records changed. Used at
    /// start-up to mark jobs a killed server left running as interrupted.
    pub fn jobs_update_all(&self, f: &dyn Fn(&[u8]) -> Option<Vec<u8>>) -> Result<usize> {
        self.write(|w| {
            let mut jobs = w.txn.open_table(JOBS).map_err(st)?;
            let mut changed = Vec::new();
            for r in jobs.iter().map_err(st)? {
                let (k, v) = r.map_err(st)?;
                if let Some(new) = f(v.value()) {
                    changed.push((k.value(), new));
                }
            }
            for (id, rec) in &changed {
                jobs.insert(*id, rec.as_slice()).map_err(st)?;
            }
            Ok(changed.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_keys_are_idempotent_and_listing_is_newest_first() {
        let s = Store::in_memory().unwrap();
        assert_eq!(s.job_get(1).unwrap(), None);
        assert!(s.jobs_newest_first(None, 10, &|_| true).unwrap().is_empty());
        let a = s.job_create(Some("k1"), |id| format!("a{id}").into_bytes());
        assert_eq!(a.unwrap(), Ok(1));
        let b = s.job_create(None, |id| format!("b{id}").into_bytes());
        assert_eq!(b.unwrap(), Ok(2));
        // The same key again: the first job, nothing written.
        let again = s.job_create(Some("k1"), |_| b"never".to_vec());
        assert_eq!(again.unwrap(), Err(1));
        assert_eq!(s.job_get(1).unwrap().unwrap(), b"a1");
        s.job_put(1, b"a1-done").unwrap();
        let all = s.jobs_newest_first(None, 10, &|_| true).unwrap();
        let ids: Vec<u64> = all.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [2, 1]);
        assert_eq!(all[1].1, b"a1-done");
        let page = s.jobs_newest_first(Some(2), 10, &|_| true).unwrap();
        assert_eq!(page.len(), 1);
        let only_b = s
            .jobs_newest_first(None, 10, &|r| r.starts_with(b"b"))
            .unwrap();
        assert_eq!(only_b, vec![(2, b"b2".to_vec())]);
        let n = s
            .jobs_update_all(&|r| r.starts_with(b"b").then(|| b"b-interrupted".to_vec()))
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(s.job_get(2).unwrap().unwrap(), b"b-interrupted");
    }
}
