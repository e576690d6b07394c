//! Rendering result tables in the shell's output modes.

use std::fmt::Write;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// Renders every table of a result (json: one array of table objects).
pub fn render(r: &QueryResult, mode: Mode) -> String {
    if mode == Mode::Json {
        let items: Vec<String> = r
            .tables
            .iter()
            .map(|t| json_table(r.statement, t.title.as_deref().unwrap_or(r.statement), t))
            .collect();
        return format!("[\n{}\n]\n", items.join(",\n"));
    }
    let mut out = String::new();
    for (i, t) in r.tables.iter().enumerate() {
        out.push_str(&render_section(t, r.statement, mode, i == 0, None));
    }
    out
}

/// One table of a run of results (not json). A table after the first is
/// preceded by a blank line; in csv and markdown modes also by its title
/// (its own, or `statement`'s name), as is a first table that has a title.
pub fn render_section(
    t: &Table,
    statement: &str,
    mode: Mode,
    first: bool,
    width: Option<usize>,
) -> String {
    let mut out = String::new();
    if !first {
        out.push('\n');
    }
    let title = t.title.as_deref().unwrap_or(statement);
    if !first || t.title.is_some() {
        match mode {
            Mode::Csv => {
                let _ = writeln!(out, "{title}");
            }
            Mode::Markdown => {
                let _ = writeln!(out, "**{title}**\n");
            }
            Mode::Table | Mode::Json => {}
        }
    }
    out.push_str(&render_table_fit(t, mode, width));
    out
}

/// Renders one table.
pub fn render_table(t: &Table, mode: Mode) -> String {
    render_table_fit(t, mode, None)
}

/// Renders one table; in table mode, fitted to `width` terminal columns
/// when given (the shell passes the terminal's width).
pub fn render_table_fit(t: &Table, mode: Mode, width: Option<usize>) -> String {
    match mode {
        Mode::Table => boxed(t, width),
        Mode::Csv => csv(t),
        Mode::Json => json(t),
        Mode::Markdown => markdown(t),
    }
}

fn is_numeric(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_))
}

/// Widest cell of table mode, in terminal columns; longer text is cut with
/// `…` (csv, json and markdown always print cells whole).
const MAX_CELL: usize = 100;

/// Narrowest a column is squeezed to when the table must fit a terminal.
const MIN_CELL: usize = 6;

/// Terminal columns a text takes (wide CJK characters and emoji count 2).
fn text_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// A cell on one line: runs of whitespace (newlines of a multi-line
/// statement, indentation) fold into one space.
fn one_line(s: String) -> String {
    if s.contains(['\n', '\r', '\t']) {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        s
    }
}

/// `s` cut to at most `w` columns (ending in `…` when cut).
fn cut(s: &str, w: usize) -> String {
    if text_width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

/// `s` padded with spaces to `w` columns, on the left or the right.
fn pad(s: &str, w: usize, right_align: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(text_width(s)));
    if right_align {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// Narrows the widest columns, one column at a time, until the contents fit
/// `budget` columns or every column is down to its minimum.
fn fit_widths(w: &mut [usize], budget: usize) {
    loop {
        let total: usize = w.iter().sum();
        if total <= budget {
            return;
        }
        let Some((i, &widest)) = w
            .iter()
            .enumerate()
            .max_by_key(|(i, x)| (**x, usize::MAX - i))
        else {
            return;
        };
        if widest <= MIN_CELL {
            return;
        }
        let second = w
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, x)| *x)
            .max()
            .unwrap_or(0);
        let excess = total - budget;
        let step = excess.min(widest - second.max(MIN_CELL)).max(1);
        w[i] = widest - step;
    }
}

/// Boxed table; with `width`, columns are narrowed (cells cut with `…`) so
/// that every line fits that many terminal columns when it can.
fn boxed(t: &Table, width: Option<usize>) -> String {
    let cells: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(|v| one_line(v.display())).collect())
        .collect();
    let mut w: Vec<usize> = t.columns.iter().map(|c| text_width(c)).collect();
    for r in &cells {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(text_width(c));
            }
        }
    }
    for x in &mut w {
        *x = (*x).min(MAX_CELL);
    }
    if let Some(width) = width {
        // Each column costs its content plus 3 (`│ ` and a space), plus one `│`.
        let frame = 3 * w.len() + 1;
        fit_widths(&mut w, width.saturating_sub(frame));
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
        let _ = writeln!(out, "{}", width.map_or(title.clone(), |x| cut(title, x)));
    }
    if w.is_empty() {
        return out;
    }
    out.push_str(&line("┌", "┬", "┐"));
    out.push('│');
    for (c, wi) in t.columns.iter().zip(&w) {
        let _ = write!(out, " {} │", pad(&cut(c, *wi), *wi, false));
    }
    out.push('\n');
    out.push_str(&line("├", "┼", "┤"));
    for (r, raw) in cells.iter().zip(&t.rows) {
        out.push('│');
        for (i, (c, wi)) in r.iter().zip(&w).enumerate() {
            let right = raw.get(i).is_some_and(is_numeric);
            let _ = write!(out, " {} │", pad(&cut(c, *wi), *wi, right));
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

/// A cell as JSON: numbers as numbers, intervals as `[lo, hi]`, empty as null.
pub fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Text(s) => s.clone().into(),
        Value::Interval(lo, hi) => serde_json::json!([lo, hi]),
    }
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// True for a text bar of a histogram (block glyphs only, or empty).
fn is_bar(v: &Value) -> bool {
    match v {
        Value::Text(s) => s.chars().all(|c| ('\u{2580}'..='\u{259F}').contains(&c)),
        Value::Null => true,
        _ => false,
    }
}

/// The columns JSON keeps: all but columns of histogram bars (glyphs are for
/// eyes; the counts beside them are the data).
fn json_columns(t: &Table) -> Vec<usize> {
    (0..t.columns.len())
        .filter(|&i| {
            let bar = !t.rows.is_empty()
                && t.rows.iter().all(|r| r.get(i).is_some_and(is_bar))
                && t.rows.iter().any(|r| {
                    r.get(i)
                        .is_some_and(|v| v != &Value::Null && v.display() != "")
                });
            !bar
        })
        .collect()
}

/// The rows of a table as JSON objects, keys in column order, one per line.
fn json_rows(t: &Table, indent: &str) -> String {
    let cols = json_columns(t);
    let rows: Vec<String> = t
        .rows
        .iter()
        .map(|r| {
            let fields: Vec<String> = cols
                .iter()
                .map(|&i| {
                    let v = r.get(i).map(json_value).unwrap_or(serde_json::Value::Null);
                    format!("{}: {v}", json_str(&t.columns[i]))
                })
                .collect();
            format!("{indent}{{{}}}", fields.join(", "))
        })
        .collect();
    if rows.is_empty() {
        "[]".into()
    } else {
        format!(
            "[\n{}\n{}]",
            rows.join(",\n"),
            &indent[..indent.len().saturating_sub(2)]
        )
    }
}

/// One result table as a JSON object `{"statement", "title", "columns",
/// "rows"}`: rows are objects with keys in column order, numbers as numbers,
/// intervals as `[lo, hi]`, histogram bars left out. No trailing newline.
pub fn json_table(statement: &str, title: &str, t: &Table) -> String {
    let cols: Vec<String> = json_columns(t)
        .into_iter()
        .map(|i| json_str(&t.columns[i]))
        .collect();
    format!(
        "{{\"statement\": {}, \"title\": {}, \"columns\": [{}], \"rows\": {}}}",
        json_str(statement),
        json_str(title),
        cols.join(", "),
        json_rows(t, "    ")
    )
}

/// An error as a JSON object `{"error", "code", "location"}` (`code` is the
/// error's stable code, `location` `origin:line:col`; each only when known).
/// No trailing newline.
pub fn json_error(message: &str, location: Option<&str>, code: Option<&str>) -> String {
    let mut s = format!("{{\"error\": {}", json_str(message));
    if let Some(c) = code {
        s.push_str(&format!(", \"code\": {}", json_str(c)));
    }
    if let Some(l) = location {
        s.push_str(&format!(", \"location\": {}", json_str(l)));
    }
    s.push('}');
    s
}

fn json(t: &Table) -> String {
    let mut s = json_rows(t, "  ");
    s.push('\n');
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', "<br>")
}

fn markdown(t: &Table) -> String {
    let mut out = String::new();
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

    fn widths(out: &str) -> Vec<usize> {
        out.lines().map(text_width).collect()
    }

    #[test]
    fn table_mode_counts_wide_characters() {
        let mut t = Table::new(&["city", "n"]);
        t.push(vec!["東京".into(), Value::Int(1)]);
        t.push(vec!["Zürich 🎉".into(), Value::Int(22)]);
        t.push(vec!["abc".into(), Value::Int(333)]);
        let out = render_table(&t, Mode::Table);
        let w = widths(&out);
        // Every line of the box has the same width on screen.
        assert!(w[..w.len() - 1].iter().all(|x| *x == w[0]), "{out}");
        assert!(out.contains("│ 東京      │   1 │"), "{out}");
    }

    #[test]
    fn table_mode_fits_the_terminal_width() {
        let mut t = Table::new(&["name", "summary", "n"]);
        t.push(vec!["a".into(), "word ".repeat(30).into(), Value::Int(7)]);
        t.push(vec!["日本語の名前".into(), "short".into(), Value::Int(8)]);
        let out = render_table_fit(&t, Mode::Table, Some(40));
        for (line, w) in out.lines().zip(widths(&out)) {
            assert!(w <= 40, "{w} columns: {line}\n{out}");
        }
        assert!(out.contains("word word"), "{out}");
        assert!(out.contains('…'), "{out}");
        // Without a width, nothing is cut below MAX_CELL.
        let out = render_table_fit(&t, Mode::Table, None);
        assert!(out.contains(&"word ".repeat(19)), "{out}");
    }
}
