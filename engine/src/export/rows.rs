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

use crate::Dataset;
use crate::util::Sink;

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
            v.extend(["pos_frac", "neg_frac"]);
        }
        if self.clean_label {
            v.extend(["sampled_label", "relabelled"]);
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
        line.push_str("\"label\":");
        line.push_str(&labels[ds.emitted_labels()[r] as usize]);
        if cols.fractions {
            let f = ds.row(r).fractions();
            line.push_str(",\"pos_frac\":");
            line.push_str(&number(f.pos));
            line.push_str(",\"neg_frac\":");
            line.push_str(&number(f.neg));
        }
        if cols.clean_label {
            let (s, e) = (ds.sampled_labels()[r], ds.emitted_labels()[r]);
            line.push_str(",\"sampled_label\":");
            line.push_str(&labels[s as usize]);
            line.push_str(",\"relabelled\":");
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
    header.push("label");
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
