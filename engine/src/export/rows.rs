//! Dataset rows as JSONL and CSV.
//!
//! JSONL (the report's record format): `{"<modality>": [values...], ...,
//! "label": "<label>"}` per row, keys in TYPES order (a modality with no value
//! in a row gets `[]`), then the optional columns.
//!
//! CSV: one column per modality whose cell is a **JSON array** of the row's
//! values (`["Nike","Adidas"]`), so a value containing `|`, `,`, `"` or a
//! newline reads back exactly (`json.loads` per cell); then `label` and the
//! optional columns. Numbers are written at full precision (shortest text that
//! reads back to the same `f64`).

use self::dataset_columns::{LABEL, NEG_FRAC, POS_FRAC, RELABELLED, RESERVED, SAMPLED_LABEL};
use crate::util::Sink;
use crate::{Dataset, Error, Result};

/// The fixed column names of a dataset: those an export writes after the
/// modality columns, and those of `SELECT ... FROM rows(ds)` before them.
/// [`RESERVED`] is the one list a modality name may not be in: LOAD CATALOGUE
/// and IMPORT GRAPH refuse such a modality ([`reserved_modality`]), EXPORT
/// DATASET and `rows(ds)` a dataset stored before that rule
/// ([`check_dataset_columns`]).
pub mod dataset_columns {
    /// `rows(ds)`: the row's 0-based index.
    pub const ROW: &str = "row";
    pub const LABEL: &str = "label";
    pub const POS_FRAC: &str = "pos_frac";
    pub const NEG_FRAC: &str = "neg_frac";
    /// `rows(ds)`: the share of candidate pairs with no edge.
    pub const ABSENT_FRAC: &str = "absent_frac";
    /// Exports `WITH (clean_label = true)`.
    pub const SAMPLED_LABEL: &str = "sampled_label";
    pub const RELABELLED: &str = "relabelled";
    /// Every fixed column of an export or of `rows(ds)`.
    pub const RESERVED: &[&str] = &[
        ROW,
        LABEL,
        POS_FRAC,
        NEG_FRAC,
        ABSENT_FRAC,
        SAMPLED_LABEL,
        RELABELLED,
    ];
}

/// A name to suggest instead of the reserved `name`.
fn renamed(name: &str) -> String {
    match name {
        LABEL => "record_label".into(),
        other => format!("{other}_value"),
    }
}

/// `(message, hint)` when `modality` is a reserved column name (the caller
/// puts it at the file:line where the modality first appears). `subject`
/// starts the message: `modality 'label'`, `target modality 'label' (from
/// rel 'brand_to_label')`.
pub(crate) fn reserved_modality(
    modality: &str,
    subject: impl FnOnce() -> String,
) -> Option<(String, String)> {
    let name = RESERVED.iter().find(|r| **r == modality)?;
    Some((
        format!(
            "{} is a reserved name: it would collide with the dataset column '{name}' \
             (EXPORT DATASET and rows(ds) would have two columns of that name)",
            subject()
        ),
        format!(
            "rename the modality, e.g. '{}'; the reserved names are {}",
            renamed(name),
            RESERVED.join(", ")
        ),
    ))
}

/// Refuses a dataset one of whose modalities is a reserved column name (one
/// stored before LOAD CATALOGUE and IMPORT GRAPH refused them): its export
/// or `rows(ds)` would have two columns of one name. `what` names it in the
/// message (`dataset 'ds@1'`).
pub fn check_dataset_columns(ds: &Dataset, what: &str) -> Result<()> {
    let Some(name) = ds
        .modalities()
        .iter()
        .find_map(|m| RESERVED.iter().find(|r| **r == m.as_str()))
    else {
        return Ok(());
    };
    Err(Error::invalid_hint(
        format!(
            "{what} has a modality named '{name}', which collides with its column '{name}': \
             the export or rows(ds) would have two columns of that name"
        ),
        format!(
            "it was stored before modality names were checked: rename the modality in the \
             catalogue (e.g. '{}'), then LOAD CATALOGUE, IMPORT GRAPH and SAMPLE again",
            renamed(name)
        ),
    ))
}

/// Optional per-row columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Columns {
    /// `pos_frac`, `neg_frac`.
    pub fractions: bool,
    /// `sampled_label`, `relabelled`.
    pub clean_label: bool,
}

impl Columns {
    /// Names of the optional columns, in output order.
    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.fractions {
            v.extend([POS_FRAC, NEG_FRAC]);
        }
        if self.clean_label {
            v.extend([SAMPLED_LABEL, RELABELLED]);
        }
        v
    }
}

fn json_str(s: &str) -> String {
    // Serialising a &str cannot fail.
    serde_json::to_string(s).unwrap_or_default()
}

/// A finite `f64` as JSON / CSV text at full precision.
pub(crate) fn number(x: f64) -> String {
    serde_json::Number::from_f64(x)
        .map(|n| n.to_string())
        .unwrap_or_else(|| "null".into())
}

/// The JSON array of row `r`'s values of modality `m`.
fn values_array(ds: &Dataset, r: usize, m: usize, out: &mut String) {
    out.push('[');
    for (k, v) in ds.row(r).values(m).enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(&json_str(v));
    }
    out.push(']');
}

/// JSONL; returns the number of rows written.
pub fn write_jsonl(
    ds: &Dataset,
    rows: &[usize],
    cols: Columns,
    w: Sink<'_>,
) -> std::io::Result<u64> {
    let keys: Vec<String> = ds.modalities().iter().map(|m| json_str(m)).collect();
    let labels: Vec<String> = ds.labels().iter().map(|l| json_str(l)).collect();
    let key = |c: &str| format!("{}:", json_str(c));
    let (label_key, pos_key, neg_key) = (key(LABEL), key(POS_FRAC), key(NEG_FRAC));
    let (sampled_key, relabelled_key) = (key(SAMPLED_LABEL), key(RELABELLED));
    let mut line = String::new();
    for &r in rows {
        line.clear();
        line.push('{');
        for (m, key) in keys.iter().enumerate() {
            line.push_str(key);
            line.push(':');
            values_array(ds, r, m, &mut line);
            line.push(',');
        }
        line.push_str(&label_key);
        line.push_str(&labels[ds.emitted_labels()[r] as usize]);
        if cols.fractions {
            let f = ds.row(r).fractions();
            line.push(',');
            line.push_str(&pos_key);
            line.push_str(&number(f.pos));
            line.push(',');
            line.push_str(&neg_key);
            line.push_str(&number(f.neg));
        }
        if cols.clean_label {
            let (s, e) = (ds.sampled_labels()[r], ds.emitted_labels()[r]);
            line.push(',');
            line.push_str(&sampled_key);
            line.push_str(&labels[s as usize]);
            line.push(',');
            line.push_str(&relabelled_key);
            line.push_str(if s != e { "true" } else { "false" });
        }
        line.push_str("}\n");
        w.write_all(line.as_bytes())?;
    }
    Ok(rows.len() as u64)
}

/// CSV; returns the number of rows written.
pub fn write_csv(ds: &Dataset, rows: &[usize], cols: Columns, w: Sink<'_>) -> std::io::Result<u64> {
    let mut cw = csv::Writer::from_writer(w);
    let mut header: Vec<&str> = ds.modalities().iter().map(|s| s.as_str()).collect();
    header.push(LABEL);
    header.extend(cols.names());
    cw.write_record(&header)?;
    let n_mod = ds.modalities().len();
    let mut rec: Vec<String> = vec![String::new(); header.len()];
    for &r in rows {
        for (m, cell) in rec.iter_mut().enumerate().take(n_mod) {
            cell.clear();
            values_array(ds, r, m, cell);
        }
        let row = ds.row(r);
        let mut k = n_mod;
        rec[k] = row.label().to_string();
        k += 1;
        if cols.fractions {
            let f = row.fractions();
            rec[k] = number(f.pos);
            rec[k + 1] = number(f.neg);
            k += 2;
        }
        if cols.clean_label {
            let (s, e) = (ds.sampled_labels()[r], ds.emitted_labels()[r]);
            rec[k] = row.sampled_label().to_string();
            rec[k + 1] = (s != e).to_string();
        }
        cw.write_record(&rec)?;
    }
    cw.flush()?;
    Ok(rows.len() as u64)
}
