//! DSL text and table rows made from the engine's typed reports: the engine
//! returns values (boxes, fractions, counts), the language decides how they
//! read (a `LABEL ...` clause, the quality section's lines).

use std::fmt::Display;

use valence_engine::{DiagnoseReport, FractionStats, Quality, SuggestedLabel};

/// A suggested box as a SAMPLE clause of `count` rows:
/// `LABEL <name> COUNT <count> WHERE pos_frac IN [a, b] AND neg_frac IN [c, d]`
/// (`count` may be a placeholder such as `n`).
pub fn label_clause(s: &SuggestedLabel, count: impl Display) -> String {
    format!(
        "LABEL {} COUNT {count} WHERE pos_frac IN [{}, {}] AND neg_frac IN [{}, {}]",
        s.name, s.pos.0, s.pos.1, s.neg.0, s.neg.1
    )
}

/// DIAGNOSE's rows: `(metric, stats)` for pos_frac, neg_frac and
/// absent_frac, in that order.
pub fn diagnose_metrics(r: &DiagnoseReport) -> [(&'static str, FractionStats); 3] {
    [
        ("pos_frac", r.pos),
        ("neg_frac", r.neg),
        ("absent_frac", r.absent),
    ]
}

/// The quality section as `(figure, value)` lines (SAMPLE's answer and
/// DESCRIBE DATASET; see the README).
pub fn quality_lines(q: &Quality) -> Vec<(String, String)> {
    let mut t = vec![(
        "rows in 2+ boxes".to_string(),
        format!("{:.4}", q.multi_box_share),
    )];
    for (l, s) in &q.edge_hug {
        t.push((format!("edge hug {l}"), format!("{s:.4}")));
    }
    for c in &q.coverage {
        let mut v = format!("{} of {} nodes unused", c.unused, c.nodes);
        if !c.unused_examples.is_empty() {
            v.push_str(&format!(" (e.g. {})", c.unused_examples.join(", ")));
        }
        t.push((format!("coverage {}", c.modality), v));
    }
    if let Some(p) = &q.predictive {
        t.push((
            "most predictive attribute".to_string(),
            format!(
                "{} = {}: {:.4} of its {} rows are {}",
                p.modality, p.value, p.purity, p.rows, p.label
            ),
        ));
    }
    t.push(("duplicates".to_string(), q.duplicates.to_string()));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use valence_engine::{Coverage, Predictive};

    #[test]
    fn a_suggested_box_reads_as_a_sample_clause() {
        let s = SuggestedLabel {
            name: "pos".into(),
            pos: (0.25, 1.0),
            neg: (0.0, 0.125),
            hit_rate: 0.3,
        };
        assert_eq!(
            label_clause(&s, "n"),
            "LABEL pos COUNT n WHERE pos_frac IN [0.25, 1] AND neg_frac IN [0, 0.125]"
        );
        let text = format!(
            "SAMPLE 5 FROM g TYPES (a [1,1]) {} INTO d;",
            label_clause(&s, 5)
        );
        let parsed = crate::parse_script(&text).unwrap();
        assert_eq!(parsed.len(), 1, "the clause parses back");
    }

    #[test]
    fn quality_lines_name_each_figure() {
        let q = Quality {
            multi_box_share: 0.0,
            edge_hug: vec![("pos".into(), 0.12345)],
            coverage: vec![Coverage {
                modality: "brand".into(),
                nodes: 10,
                unused: 2,
                unused_examples: vec!["A".into(), "B".into()],
            }],
            predictive: Some(Predictive {
                modality: "geo".into(),
                value: "UK".into(),
                rows: 40,
                label: "neg".into(),
                purity: 0.75,
            }),
            duplicates: 0,
        };
        let lines = quality_lines(&q);
        let get = |k: &str| lines.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
        assert_eq!(get("rows in 2+ boxes"), Some("0.0000"));
        assert_eq!(get("edge hug pos"), Some("0.1235"));
        assert_eq!(
            get("coverage brand"),
            Some("2 of 10 nodes unused (e.g. A, B)")
        );
        assert_eq!(
            get("most predictive attribute"),
            Some("geo = UK: 0.7500 of its 40 rows are neg")
        );
        assert_eq!(lines.last().unwrap().0, "duplicates");
    }
}
