//! The options of `EXPORT DATASET ... WITH (...)` ([`EXPORT_DATASET`]).

use valence_engine::ExportOptions;

use super::{Kind, OptValue, OptionDef};

/// Per-row columns of a dataset export, on [`ExportOptions`].
pub static EXPORT_DATASET: &[OptionDef<ExportOptions>] = &[
    OptionDef {
        name: "fractions",
        kind: Kind::Bool,
        doc: "add each row's pos_frac and neg_frac (full precision)",
        get: |o| OptValue::Bool(o.fractions),
        set: |o, v| o.fractions = v.bool(),
    },
    OptionDef {
        name: "clean_label",
        kind: Kind::Bool,
        doc: "add sampled_label (the label before noise) and relabelled",
        get: |o| OptValue::Bool(o.clean_label),
        set: |o, v| o.clean_label = v.bool(),
    },
];
