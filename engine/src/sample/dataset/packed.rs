//! Dataset format 2: the per-row columns bit-packed, each at the width of
//! its largest value (a row of the 746-node fixture with 6 values takes
//! ~11 bytes instead of ~44). Stored as [`MAGIC`] followed by the rkyv
//! archive of [`Packed`]; format 1 (the rkyv archive of `Dataset` itself)
//! is still read.
//!
//! Hand-written rather than a crate: the bit-packing crates (`bitpacking`)
//! work on SIMD blocks of 128 values with per-block widths, more machinery
//! than one fixed width per column needs (two short loops, property-tested).

use super::Dataset;
use crate::{Error, Result};

/// First bytes of a format-2 dataset. A format-1 archive cannot start so:
/// its first bytes are UTF-8 text or a non-empty inline string.
pub(super) const MAGIC: &[u8; 4] = b"\xFFVDS";

/// Values of one column at `width` bits each, little-endian in `words`.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub(super) struct Bits {
    width: u8,
    len: u64,
    words: Vec<u64>,
}

impl Bits {
    pub(super) fn pack<I>(values: I) -> Bits
    where
        I: ExactSizeIterator<Item = u32> + Clone,
    {
        let max = values.clone().max().unwrap_or(0);
        let width = (32 - max.leading_zeros()) as usize;
        let len = values.len();
        let mut words = vec![0u64; (len * width).div_ceil(64)];
        // Width 0 (every value 0): no words at all.
        for (i, v) in values.enumerate().filter(|_| width > 0) {
            let bit = i * width;
            let (w, o) = (bit / 64, bit % 64);
            words[w] |= u64::from(v) << o;
            if o + width > 64 {
                words[w + 1] |= u64::from(v) >> (64 - o);
            }
        }
        Bits {
            width: width as u8,
            len: len as u64,
            words,
        }
    }

    pub(super) fn unpack(&self) -> Result<Vec<u32>> {
        let width = self.width as usize;
        let len = usize::try_from(self.len).map_err(|_| corrupt("column length"))?;
        if width > 32 || len.checked_mul(width).map(|b| b.div_ceil(64)) != Some(self.words.len()) {
            return Err(corrupt("column size"));
        }
        let mask = (1u64 << width) - 1;
        let mut out = Vec::new();
        out.try_reserve_exact(len)
            .map_err(|_| corrupt("column length"))?;
        if width == 0 {
            out.resize(len, 0);
            return Ok(out);
        }
        for i in 0..len {
            let bit = i * width;
            let (w, o) = (bit / 64, bit % 64);
            let mut x = self.words[w] >> o;
            if o + width > 64 {
                x |= self.words[w + 1] << (64 - o);
            }
            out.push((x & mask) as u32);
        }
        Ok(out)
    }
}

fn corrupt(what: &str) -> Error {
    Error::storage(format!("corrupt dataset: bad {what}"))
}

/// The stored form of format 2.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub(super) struct Packed {
    modalities: Vec<String>,
    types: Vec<(u32, u32)>,
    values: Vec<String>,
    value_start: Vec<u32>,
    labels: Vec<String>,
    sampled: Bits,
    emitted: Bits,
    /// Values per row (`starts` are their running sums).
    lens: Bits,
    items: Bits,
    pos_edges: Bits,
    neg_edges: Bits,
    pairs: Bits,
}

/// MAGIC then the archive.
pub(super) fn encode(ds: &Dataset) -> Result<Vec<u8>> {
    let u16s = |v: &[u16]| Bits::pack(v.iter().map(|&x| u32::from(x)));
    let u32s = |v: &[u32]| Bits::pack(v.iter().copied());
    let p = Packed {
        modalities: ds.modalities.clone(),
        types: ds.types.clone(),
        values: ds.values.clone(),
        value_start: ds.value_start.clone(),
        labels: ds.labels.clone(),
        sampled: u16s(&ds.sampled),
        emitted: u16s(&ds.emitted),
        lens: Bits::pack(ds.starts.windows(2).map(|w| w[1] - w[0])),
        items: u32s(&ds.items),
        pos_edges: u32s(&ds.pos_edges),
        neg_edges: u32s(&ds.neg_edges),
        pairs: u32s(&ds.pairs),
    };
    let archive = rkyv::to_bytes::<rkyv::rancor::Error>(&p).map_err(Error::storage_source)?;
    let mut out = Vec::with_capacity(MAGIC.len() + archive.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&archive);
    Ok(out)
}

/// Reads [`encode`]'s output (after MAGIC), validated.
pub(super) fn decode(archive: &[u8], format: u32) -> Result<Dataset> {
    let mut aligned = rkyv::util::AlignedVec::<16>::with_capacity(archive.len());
    aligned.extend_from_slice(archive);
    let p = rkyv::from_bytes::<Packed, rkyv::rancor::Error>(&aligned)
        .map_err(|e| Error::storage_context("corrupt dataset", e))?;
    let to_u16 = |b: &Bits| -> Result<Vec<u16>> {
        b.unpack()?
            .into_iter()
            .map(|x| u16::try_from(x).map_err(|_| corrupt("label index")))
            .collect()
    };
    let mut starts = vec![0u32];
    for l in p.lens.unpack()? {
        let next = starts[starts.len() - 1]
            .checked_add(l)
            .ok_or_else(|| corrupt("row lengths"))?;
        starts.push(next);
    }
    Ok(Dataset {
        format,
        modalities: p.modalities,
        types: p.types,
        values: p.values,
        value_start: p.value_start,
        labels: p.labels,
        sampled: to_u16(&p.sampled)?,
        emitted: to_u16(&p.emitted)?,
        starts,
        items: p.items.unpack()?,
        pos_edges: p.pos_edges.unpack()?,
        neg_edges: p.neg_edges.unpack()?,
        pairs: p.pairs.unpack()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bits_round_trip(values in proptest::collection::vec(any::<u32>(), 0..300), shift in 0u32..32) {
            let v: Vec<u32> = values.iter().map(|x| x >> shift).collect();
            let b = Bits::pack(v.iter().copied());
            prop_assert_eq!(b.unpack().unwrap(), v.clone());
            let max = v.iter().copied().max().unwrap_or(0);
            prop_assert_eq!(b.width as u32, 32 - max.leading_zeros());
        }
    }

    /// 1,000 rows of 4-8 values out of 700, 3 labels: the shape of the
    /// 746-node fixture's datasets.
    fn dataset() -> Dataset {
        let values: Vec<String> = (0..700).map(|i| format!("v{i}")).collect();
        let (mut starts, mut items) = (vec![0u32], Vec::new());
        let mut x = 12345u64;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        for _ in 0..1000 {
            let k = 4 + next(5) as u32;
            let mut row: Vec<u32> = (0..k).map(|_| next(700) as u32).collect();
            row.sort_unstable();
            items.extend(row);
            starts.push(items.len() as u32);
        }
        let n = starts.len() - 1;
        Dataset {
            format: super::super::DATASET_FORMAT,
            modalities: vec!["a".into(), "b".into()],
            types: vec![(1, 4), (3, 4)],
            values,
            value_start: vec![0, 350, 700],
            labels: vec!["pos".into(), "avg".into(), "neg".into()],
            sampled: (0..n).map(|i| (i % 3) as u16).collect(),
            emitted: (0..n).map(|i| ((i + i / 7) % 3) as u16).collect(),
            starts,
            items,
            pos_edges: (0..n).map(|_| next(20) as u32).collect(),
            neg_edges: (0..n).map(|_| next(9) as u32).collect(),
            pairs: (0..n).map(|_| 10 + next(18) as u32).collect(),
        }
    }

    #[test]
    fn format_2_round_trips_in_under_a_third_of_format_1() {
        let ds = dataset();
        let bytes = ds.to_bytes().unwrap();
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(Dataset::from_bytes(&bytes).unwrap(), ds);
        let old = rkyv::to_bytes::<rkyv::rancor::Error>(&Dataset {
            format: 1,
            ..ds.clone()
        })
        .unwrap()
        .into_vec();
        assert!(!old.starts_with(MAGIC));
        let back = Dataset::from_bytes(&old).unwrap();
        assert_eq!(
            back,
            Dataset {
                format: 1,
                ..ds.clone()
            }
        );
        // Dictionary text aside (~4 KB), the rows: ~6 items of 10 bits,
        // labels 2+2, counts 5+4+5, length 4 bits → under 12 B a row.
        let rows = bytes.len() - 6_000;
        assert!(rows < 12 * 1000, "{} bytes for 1000 rows", bytes.len());
        assert!(
            old.len() > 3 * bytes.len(),
            "{} vs {}",
            old.len(),
            bytes.len()
        );
    }

    #[test]
    fn an_inconsistent_dataset_is_an_error_not_a_panic() {
        let mut ds = dataset();
        ds.items[3] = 700;
        let e = Dataset::from_bytes(&ds.to_bytes().unwrap()).unwrap_err();
        assert!(e.to_string().contains("do not agree"), "{e}");
        let mut ds = dataset();
        ds.emitted[0] = 3;
        assert!(Dataset::from_bytes(&ds.to_bytes().unwrap()).is_err());
        let mut ds = dataset();
        ds.starts.pop();
        assert!(Dataset::from_bytes(&ds.to_bytes().unwrap()).is_err());
        let ok = dataset().to_bytes().unwrap();
        assert!(Dataset::from_bytes(&ok[..ok.len() - 9]).is_err());
    }

    #[test]
    fn a_column_of_zeros_takes_no_words() {
        for len in [0usize, 1, 1000] {
            let b = Bits::pack(std::iter::repeat_n(0u32, len));
            assert_eq!((b.width, b.words.len()), (0, 0));
            assert_eq!(b.unpack().unwrap(), vec![0; len]);
        }
    }

    #[test]
    fn a_bad_column_size_is_an_error_not_a_panic() {
        let mut b = Bits::pack([5u32, 6, 7].into_iter());
        b.len = 1000;
        assert!(
            b.unpack()
                .unwrap_err()
                .to_string()
                .contains("corrupt dataset")
        );
        b.len = 3;
        b.width = 40;
        assert!(b.unpack().is_err());
    }
}
