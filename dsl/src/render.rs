//! Rendering result tables in the shell's output modes.

use std::fmt::Write;

use crate::table::{QueryResult, Table, Value};

/// Output modes of `.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Boxed, aligned columns (numbers right-aligned).
    Table,
    Csv,
    /// One JSON array of row objects per table.
    Json,
    Markdown,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "box" => Some(Mode::Table),
            "csv" => Some(Mode::Csv),
            "json" => Some(Mode::Json),
            "markdown" | "md" => Some(Mode::Markdown),
            _ => None,
        }
    }
}

/// Renders every table of a result, separated by blank lines.
pub fn render(r: &QueryResult, mode: Mode) -> String {
    let mut out = String::new();
    for (i, t) in r.tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_table(t, mode));
    }
    out
}

/// Renders one table.
pub fn render_table(t: &Table, mode: Mode) -> String {
    match mode {
        Mode::Table => boxed(t),
        Mode::Csv => csv(t),
        Mode::Json => json(t),
        Mode::Markdown => markdown(t),
    }
}

fn is_numeric(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_))
}

/// Widest cell of table mode, in characters; longer text is cut with `…`
/// (csv, json and markdown always print cells whole).
const MAX_CELL: usize = 100;

/// A cell on one line: runs of whitespace (newlines of a multi-line
/// statement, indentation) fold into one space; over-long text is cut.
fn one_line(s: String) -> String {
    let s = if s.contains(['\n', '\r', '\t']) {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        s
    };
    if s.chars().count() > MAX_CELL {
        let mut cut: String = s.chars().take(MAX_CELL - 1).collect();
        cut.push('…');
        cut
    } else {
        s
    }
}

fn boxed(t: &Table) -> String {
    let cells: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(|v| one_line(v.display())).collect())
        .collect();
    let mut w: Vec<usize> = t.columns.iter().map(|c| c.chars().count()).collect();
    for r in &cells {
        for (i, c) in r.iter().enumerate() {
            let len = c.lines().map(|l| l.chars().count()).max().unwrap_or(0);
            if i < w.len() {
                w[i] = w[i].max(len);
            }
        }
    }
    let line = |l: &str, m: &str, r: &str| {
        let mut s = String::from(l);
        for (i, wi) in w.iter().enumerate() {
            s.push_str(&"─".repeat(wi + 2));
            s.push_str(if i + 1 == w.len() { r } else { m });
        }
        s.push('\n');
        s
    };
    let mut out = String::new();
    if let Some(title) = &t.title {
        let _ = writeln!(out, "{title}");
    }
    if w.is_empty() {
        return out;
    }
    out.push_str(&line("┌", "┬", "┐"));
    out.push('│');
    for (c, wi) in t.columns.iter().zip(&w) {
        let _ = write!(out, " {c:<wi$} │");
    }
    out.push('\n');
    out.push_str(&line("├", "┼", "┤"));
    for (r, raw) in cells.iter().zip(&t.rows) {
        out.push('│');
        for (i, (c, wi)) in r.iter().zip(&w).enumerate() {
            if raw.get(i).is_some_and(is_numeric) {
                let _ = write!(out, " {c:>wi$} │");
            } else {
                let _ = write!(out, " {c:<wi$} │");
            }
        }
        out.push('\n');
    }
    out.push_str(&line("└", "┴", "┘"));
    let n = t.rows.len();
    let _ = writeln!(out, "{n} row{}", if n == 1 { "" } else { "s" });
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(t: &Table) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        t.columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
    );
    for r in &t.rows {
        let _ = writeln!(
            out,
            "{}",
            r.iter()
                .map(|v| csv_field(&v.display()))
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    out
}

fn json(t: &Table) -> String {
    let rows: Vec<serde_json::Value> = t
        .rows
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            for (c, v) in t.columns.iter().zip(r) {
                let jv = match v {
                    Value::Null => serde_json::Value::Null,
                    Value::Bool(b) => (*b).into(),
                    Value::Int(i) => (*i).into(),
                    Value::Float(f) => serde_json::Number::from_f64(*f)
                        .map(serde_json::Value::Number)
                        .unwrap_or(serde_json::Value::Null),
                    Value::Text(s) => s.clone().into(),
                    Value::Interval(lo, hi) => serde_json::json!([lo, hi]),
                };
                m.insert(c.clone(), jv);
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

fn markdown(t: &Table) -> String {
    let mut out = String::new();
    if let Some(title) = &t.title {
        let _ = writeln!(out, "**{title}**\n");
    }
    let _ = writeln!(
        out,
        "| {} |",
        t.columns
            .iter()
            .map(|c| md_cell(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(
        out,
        "|{}|",
        t.columns
            .iter()
            .enumerate()
            .map(|(i, _)| {
                if t.rows
                    .first()
                    .and_then(|r| r.get(i))
                    .is_some_and(is_numeric)
                {
                    "---:"
                } else {
                    "---"
                }
            })
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in &t.rows {
        let _ = writeln!(
            out,
            "| {} |",
            r.iter()
                .map(|v| md_cell(&v.display()))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(&["name", "n", "x"]);
        t.push(vec!["a,b \"q\"".into(), Value::Int(3), Value::Float(0.25)]);
        t.push(vec![
            "pipe|line\nnext".into(),
            Value::Null,
            Value::Float(1.0),
        ]);
        t
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(
            render_table(&table(), Mode::Csv),
            "name,n,x\n\"a,b \"\"q\"\"\",3,0.25\n\"pipe|line\nnext\",,1\n"
        );
    }

    #[test]
    fn json_keeps_types() {
        let v: serde_json::Value =
            serde_json::from_str(&render_table(&table(), Mode::Json)).unwrap();
        assert_eq!(v[0]["n"], 3);
        assert_eq!(v[0]["x"], 0.25);
        assert!(v[1]["n"].is_null());
    }

    #[test]
    fn markdown_escapes_pipes_and_right_aligns_numbers() {
        let md = render_table(&table(), Mode::Markdown);
        assert!(md.contains("| name | n | x |\n|---|---:|---:|"), "{md}");
        assert!(md.contains("pipe\\|line<br>next"), "{md}");
    }

    #[test]
    fn table_mode_folds_lines_and_cuts_long_cells() {
        let mut t = Table::new(&["s"]);
        t.push(vec!["x".repeat(150).into()]);
        t.push(vec!["one\n  two".into()]);
        let out = render_table(&t, Mode::Table);
        assert!(out.contains(&format!("{}…", "x".repeat(99))), "{out}");
        assert!(out.contains("one two"), "{out}");
        assert!(out.ends_with("2 rows\n"));
    }
}
