//! Refusing a SAMPLE that cannot fit in memory, before any work (issue 15.12).
//!
//! The estimate is per row, at the widest row the TYPES allow, fitted to the
//! peak RSS of the release binary (`/usr/bin/time`, SAMPLE of 10,000 and
//! 1,000,000 rows on `fixtures/large`, the difference over 990,000 rows):
//! 165 B a row at 2 nodes, 232 B at 8, 328 B at 16 with `distinct = false`,
//! i.e. [`ROW_BYTES`] + [`NODE_BYTES`] a node (the sampled row and its node
//! vector, the shuffle's index vectors, the dataset's columns and their
//! stored copy), plus [`DISTINCT_BYTES`] for the distinct-row hash; 229 B a
//! row measured at 5-8 nodes with `distinct = true`, estimated 254 at the
//! widest. It is compared with the memory available (`MemAvailable` of
//! `/proc/meminfo`, less a quarter for everything else) or, where that cannot
//! be read, with [`FALLBACK_LIMIT`]; a refusal names the largest row count
//! that fits.

use super::SampleSpec;
use crate::limits::human_bytes;
use crate::{Error, Result};

/// The memory budget when the available memory cannot be read: 8 GiB.
pub const FALLBACK_LIMIT: u64 = 8 << 30;

/// Bytes a row needs whatever its width (see the module doc).
pub const ROW_BYTES: u64 = 144;
/// Bytes a row needs per node.
pub const NODE_BYTES: u64 = 12;
/// Bytes a row needs in the distinct-row hash (`distinct = true`).
pub const DISTINCT_BYTES: u64 = 16;

/// Bytes a SAMPLE of `spec` needs at most (see the module doc).
pub fn estimate_bytes(spec: &SampleSpec) -> u64 {
    let width: u64 = spec.types.iter().map(|t| t.max as u64).sum();
    let distinct = if spec.options.distinct {
        DISTINCT_BYTES
    } else {
        0
    };
    let per_row = ROW_BYTES + NODE_BYTES * width + distinct;
    spec.total.saturating_mul(per_row)
}

/// The memory SAMPLE may use: 3/4 of `MemAvailable`, or [`FALLBACK_LIMIT`].
pub fn memory_budget() -> u64 {
    available_memory()
        .map(|a| a / 4 * 3)
        .unwrap_or(FALLBACK_LIMIT)
}

fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuses at once a SAMPLE whose estimate exceeds the memory budget.
pub(crate) fn check_memory(spec: &SampleSpec) -> Result<()> {
    check_against(spec, memory_budget())
}

fn check_against(spec: &SampleSpec, budget: u64) -> Result<()> {
    let need = estimate_bytes(spec);
    if need <= budget {
        return Ok(());
    }
    let per_row = need / spec.total.max(1);
    let fits = budget / per_row.max(1);
    Err(Error::rejected(
        crate::Code::TooLarge,
        None,
        format!(
            "SAMPLE {} would need about {} of memory ({} B a row at up to {} nodes), \
             more than the {} available to it",
            spec.total,
            human_bytes(need as usize),
            per_row,
            spec.types.iter().map(|t| t.max as u64).sum::<u64>(),
            human_bytes(budget as usize)
        ),
        format!(
            "ask for at most about {fits} rows per SAMPLE (several SAMPLE ... INTO statements \
             can build larger sets), or free memory"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LabelSpec, SampleOptions, TypeQuota};

    fn spec(total: u64) -> SampleSpec {
        SampleSpec {
            total,
            types: vec![TypeQuota::new("a", 1, 4), TypeQuota::new("b", 1, 4)],
            labels: vec![LabelSpec::new("x", total)],
            favour: vec![],
            avoid: vec![],
            options: SampleOptions::default(),
        }
    }

    #[test]
    fn estimate_grows_with_rows_and_width() {
        assert_eq!(estimate_bytes(&spec(1)), 144 + 12 * 8 + 16);
        let mut s = spec(1);
        s.options.distinct = false;
        assert_eq!(estimate_bytes(&s), 144 + 12 * 8);
        assert_eq!(estimate_bytes(&spec(1000)), 1000 * estimate_bytes(&spec(1)));
    }

    #[test]
    fn over_budget_is_refused_with_the_need() {
        let s = spec(100_000_000);
        let err = check_against(&s, 1 << 30).unwrap_err();
        let e = err.to_string();
        assert!(
            e.contains("SAMPLE 100000000 would need about 23.8 GB"),
            "{e}"
        );
        assert!(e.contains("1.0 GB available"), "{e}");
        // The largest count that fits: 2^30 / 256 B.
        let hint = err.hint().unwrap_or_default();
        assert!(hint.contains("at most about 4194304 rows"), "{hint}");
        assert!(check_against(&spec(4_194_304), 1 << 30).is_ok());
        assert!(check_against(&spec(4_194_305), 1 << 30).is_err());
        assert!(check_against(&spec(1000), 1 << 30).is_ok());
    }
}
