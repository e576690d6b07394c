//! Dot-commands of the shell, parsed into an enum.

use valence::Mode;

/// A parsed dot-command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dot {
    /// `.help` alone, or `.help TOPIC`: the `WITH` options of a statement
    /// (the topic, upper case, is one of [`valence_dsl::options::help_topics`]).
    Help(Option<String>),
    /// `.quit`, `.exit [N]`: leave with status N (default 0).
    Exit(u8),
    Read(String),
    /// `.mode` alone shows the current mode.
    Mode(Option<Mode>),
    Timer(bool),
    /// `.output` alone goes back to standard output.
    Output(Option<String>),
}

/// Parses a line starting with `.`; the error says how to use the command.
pub fn parse(line: &str) -> Result<Dot, String> {
    let line = line.trim();
    let mut parts = line.splitn(2, char::is_whitespace);
    let cmd = parts.next().unwrap_or("");
    let arg = parts.next().map(str::trim).filter(|a| !a.is_empty());
    let arg = arg.map(|a| a.trim_matches(|c| c == '\'' || c == '"').to_string());
    match cmd {
        ".help" | ".h" => match arg {
            None => Ok(Dot::Help(None)),
            Some(a) => {
                let topics = valence_dsl::options::help_topics();
                topics
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(&a))
                    .map(|t| Dot::Help(Some(t.to_string())))
                    .ok_or_else(|| {
                        format!(
                            "no help on '{a}'; usage: .help [{}] (the statement's WITH options)",
                            topics.join("|")
                        )
                    })
            }
        },
        ".quit" | ".exit" | ".q" => match arg {
            None => Ok(Dot::Exit(0)),
            Some(a) => a.parse::<u8>().map(Dot::Exit).map_err(|_| {
                format!("exit status '{a}' is not a number from 0 to 255; usage: .exit [N]")
            }),
        },
        ".read" => arg
            .map(Dot::Read)
            .ok_or_else(|| "usage: .read FILE".to_string()),
        ".mode" => match arg {
            None => Ok(Dot::Mode(None)),
            Some(a) => Mode::parse(&a)
                .map(|m| Dot::Mode(Some(m)))
                .ok_or_else(|| format!("unknown mode '{a}'; usage: .mode table|csv|json|markdown")),
        },
        ".timer" => match arg.as_deref() {
            Some("on") => Ok(Dot::Timer(true)),
            Some("off") => Ok(Dot::Timer(false)),
            _ => Err("usage: .timer on|off".to_string()),
        },
        ".output" => Ok(Dot::Output(arg)),
        other => Err(format!(
            "unknown command '{other}'; type .help for the list"
        )),
    }
}

/// The text of `.help TOPIC` (a topic [`parse`] accepted), or of `.help`.
pub fn help(topic: Option<&str>) -> String {
    match topic.and_then(valence_dsl::options::help) {
        Some(t) => t,
        None => HELP.to_string(),
    }
}

/// The text of `.help`.
pub const HELP: &str = "\
Statements (end each with ;)
  LOAD CATALOGUE c FROM 'catalogue.csv';
  IMPORT GRAPH g FROM 'edges.csv' [CATALOGUE c];
  EXPORT GRAPH g[@N] TO 'out.csv' [FORMAT csv|graphml|dot|parquet];   (format from the extension)
  GENERATE GRAPH g FROM c USING BRUTE_FORCE|CLUSTER [WITH (backend = 'oracle', reference = 'edges.csv', ...)];
  EXPLAIN GENERATE GRAPH g FROM c USING BRUTE_FORCE|CLUSTER [WITH (...)];
  COMPARE GRAPH a WITH b [DETAIL];
  CHECK GRAPH g AGAINST 'expectations.csv';
  CHECK DATABASE;                         (verify every checksum and payload)
  DIAGNOSE g TYPES (brand [1,1], geo [1,2]) [SAMPLES n] [SEED s];
  SAMPLE n FROM g TYPES (...) LABEL pos COUNT k WHERE pos_frac IN [a,b] AND neg_frac IN [c,d] ...
         [FAVOUR (m1, m2), ...] [AVOID (m1, m2), ...] [WITH (seed = 42, ...)] INTO ds;
  EXPORT DATASET ds[@N] TO 'out.jsonl' [FORMAT jsonl|csv|parquet] [SPLIT (train 0.8, test 0.2) [SEED n]]
         [WITH (fractions = true, clean_label = true)];
  SHOW CATALOGUES | GRAPHS | DATASETS;   SHOW VERSIONS OF GRAPH g;
  DESCRIBE CATALOGUE|GRAPH|DATASET name[@N];
  DROP CATALOGUE|GRAPH|DATASET [IF EXISTS] name[@N];
  SELECT cols|* FROM table(...) [WHERE ...] [GROUP BY ...] [HAVING ...] [ORDER BY ... [ASC|DESC]]
         [LIMIT n] [OFFSET n];   (read-only; COUNT(*), COUNT(DISTINCT x), SUM, AVG, MIN, MAX,
         =, <>, <, <=, >, >=, IN (...), LIKE, IS NULL, AND/OR/NOT, CONTAINS(list, 'x'))
Tables for SELECT
  edges(g[@N])          source_modality, source, target_modality, target, sign
  neighbours(g[@N])     modality, value, other_modality, other, sign   (each edge both ways)
  nodes(g[@N])          modality, value, description, pos_degree, neg_degree, degree
  rows(ds[@N])          row, label, pos_frac, neg_frac, absent_frac, relabelled, one list per modality
  pairs(ds[@N], row)    a_modality, a, b_modality, b, sign   (sign NULL: no edge)
Commands
  .help                         this text
  .help STATEMENT               its WITH options: GENERATE, SAMPLE, EXPORT, DIAGNOSE
  .quit, .exit [N]              leave the shell (with exit status N)
  .read FILE                    run the statements of a file
  .mode table|csv|json|markdown how results are printed
  .timer on|off                 print each statement's run time
  .output [FILE]                send results to FILE (no FILE: back to the terminal)
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_table_function_and_its_columns() {
        for f in valence::TABLE_FUNCTIONS {
            let line = HELP
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{}(", f.name)))
                .unwrap_or_else(|| panic!("{} missing from .help", f.name));
            for (c, _) in f.columns {
                assert!(
                    line.contains(c),
                    "{}: column {c} missing from .help",
                    f.name
                );
            }
        }
    }

    #[test]
    fn help_on_a_statement_lists_its_options_from_the_table() {
        use valence_dsl::options::WithStatement;
        for s in WithStatement::ALL {
            let Ok(Dot::Help(Some(topic))) = parse(&format!(".help {}", s.keyword())) else {
                panic!(".help {} not accepted", s.keyword());
            };
            let text = help(Some(&topic));
            for o in s.options() {
                assert!(
                    text.lines()
                        .any(|l| l.trim_start().starts_with(&format!("{} ", o.name))),
                    ".help {topic} lacks {}:\n{text}",
                    o.name
                );
            }
        }
        let text = help(Some("GENERATE"));
        let line = text.lines().find(|l| l.contains("batch_size")).unwrap();
        assert!(line.contains("default 25"), "{line}");
        assert!(text.contains("GENERATE ... USING CLUSTER WITH options, in addition"));
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("umap_dims "))
        );
        // Every topic is announced in `.help`.
        let line = HELP
            .lines()
            .find(|l| l.contains(".help STATEMENT"))
            .unwrap();
        for t in valence_dsl::options::help_topics() {
            assert!(line.contains(t), "{t}");
        }
        assert_eq!(help(None), HELP);
    }

    #[test]
    fn parses_commands() {
        assert_eq!(parse(".help"), Ok(Dot::Help(None)));
        assert_eq!(parse(".help sample"), Ok(Dot::Help(Some("SAMPLE".into()))));
        assert!(parse(".help FROB").unwrap_err().contains("GENERATE|"));
        assert_eq!(parse(".quit"), Ok(Dot::Exit(0)));
        assert_eq!(parse(".exit 3"), Ok(Dot::Exit(3)));
        assert!(parse(".exit 300").unwrap_err().contains("0 to 255"));
        assert_eq!(parse(".read x.vql"), Ok(Dot::Read("x.vql".into())));
        assert_eq!(parse(".mode csv"), Ok(Dot::Mode(Some(Mode::Csv))));
        assert_eq!(parse(".mode"), Ok(Dot::Mode(None)));
        assert_eq!(parse(".timer on"), Ok(Dot::Timer(true)));
        assert_eq!(
            parse(".output 'o.txt'"),
            Ok(Dot::Output(Some("o.txt".into())))
        );
        assert_eq!(parse(".output"), Ok(Dot::Output(None)));
        assert!(parse(".mode xml").unwrap_err().contains("usage"));
        assert!(parse(".read").is_err());
        assert!(parse(".frobnicate").unwrap_err().contains(".help"));
    }
}
