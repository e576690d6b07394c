//! The options of `SAMPLE ... WITH (...)` ([`SAMPLE`]) and of `DIAGNOSE`
//! ([`DIAGNOSE`]: none; its `SAMPLES n` and `SEED s` are clauses).

use valence_engine::SampleOptions;

use super::{Kind, OptValue, OptionDef, Range};

const U32: u64 = u32::MAX as u64;

/// Options of SAMPLE, on [`SampleOptions`].
pub static SAMPLE: &[OptionDef<SampleOptions>] = &[
    OptionDef {
        name: "seed",
        kind: Kind::Whole {
            min: 0,
            max: u64::MAX,
        },
        doc: "seed of every random choice: same seed, same dataset",
        get: |o| OptValue::Whole(o.seed),
        set: |o, v| o.seed = v.whole(),
    },
    OptionDef {
        name: "max_iters",
        kind: Kind::Whole { min: 1, max: U32 },
        doc: "annealing steps per attempt at a row",
        get: |o| OptValue::Whole(o.max_iters.into()),
        set: |o, v| o.max_iters = v.whole() as u32,
    },
    OptionDef {
        name: "start_temp",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: f64::INFINITY,
            open: true,
        }),
        doc: "annealing temperature at the first step, in edge units",
        get: |o| OptValue::Number(o.start_temp),
        set: |o, v| o.start_temp = v.number(),
    },
    OptionDef {
        name: "end_temp",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: f64::INFINITY,
            open: true,
        }),
        doc: "annealing temperature at the last step",
        get: |o| OptValue::Number(o.end_temp),
        set: |o, v| o.end_temp = v.number(),
    },
    OptionDef {
        name: "patience",
        kind: Kind::Whole { min: 0, max: U32 },
        doc: "accepted for compatibility and recorded, with no effect",
        get: |o| OptValue::Whole(o.patience.into()),
        set: |o, v| o.patience = v.whole() as u32,
    },
    OptionDef {
        name: "proposals_per_step",
        kind: Kind::Whole { min: 1, max: U32 },
        doc: "moves evaluated per annealing step",
        get: |o| OptValue::Whole(o.proposals_per_step.into()),
        set: |o, v| o.proposals_per_step = v.whole() as u32,
    },
    OptionDef {
        name: "distinct",
        kind: Kind::Bool,
        doc: "no two rows with the same node set",
        get: |o| OptValue::Bool(o.distinct),
        set: |o, v| o.distinct = v.bool(),
    },
    OptionDef {
        name: "noise",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: 1.0,
            open: false,
        }),
        doc: "share of rows relabelled after sampling (chosen by the seed)",
        get: |o| OptValue::Number(o.noise),
        set: |o, v| o.noise = v.number(),
    },
    OptionDef {
        name: "retries",
        kind: Kind::Whole { min: 0, max: 1000 },
        doc: "redraws from a fresh seed of a row that misses its box",
        get: |o| OptValue::Whole(o.retries.into()),
        set: |o, v| o.retries = v.whole() as u32,
    },
    OptionDef {
        name: "soft_weight",
        kind: Kind::Number(Range::Engine {
            lo: 0.0,
            hi: f64::INFINITY,
            open: false,
        }),
        doc: "FAVOUR/AVOID tilt: log-odds per favoured edge (0: off)",
        get: |o| OptValue::Number(o.soft_weight),
        set: |o, v| o.soft_weight = v.number(),
    },
    OptionDef {
        name: "resize_moves",
        kind: Kind::Bool,
        doc: "moves may grow or shrink a modality within its TYPES range",
        get: |o| OptValue::Bool(o.resize_moves),
        set: |o, v| o.resize_moves = v.bool(),
    },
    OptionDef {
        name: "mix_steps",
        kind: Kind::Whole {
            min: 0,
            max: 1_000_000,
        },
        doc: "Metropolis steps a row takes inside its box after reaching it",
        get: |o| OptValue::Whole(o.mix_steps.into()),
        set: |o, v| o.mix_steps = v.whole() as u32,
    },
];

/// DIAGNOSE takes no `WITH` options (the table has the type of the
/// engine's options it would set, and is empty).
pub static DIAGNOSE: &[OptionDef<NoOptions>] = &[];

/// The options struct of a statement without options.
#[derive(Debug, Default)]
pub struct NoOptions;
