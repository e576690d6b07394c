//! README.md's option tables are exactly what the option tables say
//! (names, types, ranges, defaults, docs), and its prose quotes no other
//! default. `UPDATE_EXPECT=1 cargo test -p valence-dsl readme` rewrites the
//! section between the markers.

use super::{WithStatement, markdown, render::default_text};

const BEGIN: &str = "<!-- options:begin (generated from dsl/src/options; UPDATE_EXPECT=1 cargo test -p valence-dsl readme) -->\n";
const END: &str = "<!-- options:end -->";

fn readme_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")
}

/// The README's option section, and where it starts and ends.
fn section(readme: &str) -> (usize, usize) {
    let start = readme
        .find(BEGIN)
        .expect("README.md lacks the options:begin marker")
        + BEGIN.len();
    let end = readme[start..]
        .find(END)
        .expect("README.md lacks the options:end marker")
        + start;
    (start, end)
}

#[test]
fn readme_option_tables_match_the_option_tables() {
    let path = readme_path();
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = section(&readme);
    let want = markdown();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let new = format!("{}{want}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, new).unwrap();
        return;
    }
    let got = &readme[start..end];
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .find(|(g, w)| g != w)
            .map(|(g, w)| format!("README: {g}\ntables: {w}"))
            .unwrap_or_else(|| "(one is longer)".into());
        panic!(
            "README.md's option tables differ from dsl/src/options (UPDATE_EXPECT=1 rewrites them):\n{first}"
        );
    }
}

/// Every `name` (in backticks) of an option followed by a number in the
/// README's prose, e.g. "`batch_size` (25)" or "`seed` 0", quotes that
/// option's default; an option of several statements (`seed`, `retries`)
/// may quote any of their defaults.
#[test]
fn readme_prose_quotes_the_table_defaults() {
    let readme = std::fs::read_to_string(readme_path()).unwrap();
    let (start, end) = section(&readme);
    let prose = format!("{}{}", &readme[..start], &readme[end..]);
    let mut quoted = 0;
    for s in WithStatement::ALL {
        for o in s.options() {
            let default = default_text(&o.default);
            let tick = format!("`{}`", o.name);
            for (at, _) in prose.match_indices(&tick) {
                let rest = prose[at + tick.len()..].trim_start_matches([' ', '(']);
                let number: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
                    .collect();
                let number = number.trim_end_matches(['.', ',']).replace(',', "");
                if number.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit()) {
                    continue;
                }
                let all: Vec<String> = WithStatement::ALL
                    .iter()
                    .flat_map(|s| s.options())
                    .filter(|x| x.name == o.name)
                    .map(|x| default_text(&x.default))
                    .collect();
                let same = |d: &String| {
                    d == &number || d.parse::<f64>().ok() == number.parse::<f64>().ok()
                };
                assert!(
                    all.iter().any(same),
                    "README quotes `{}` {number}; its default is {default}",
                    o.name
                );
                quoted += 1;
            }
        }
    }
    assert!(
        quoted >= 10,
        "only {quoted} defaults quoted in the README's prose"
    );
}
