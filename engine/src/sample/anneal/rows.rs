//! A row's attempts: the per-row seeds, the normal attempts of
//! `sample_row` and the escalation of tail rows (`escalate_row`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Problem, RowOutcome, Scratch, TargetBox};
use crate::Ctx;
use crate::graph::Adjacency;

/// The RNG of one (seed, stream, index, attempt): a ChaCha8 key made of the
/// four words, so streams never overlap and never depend on thread count.
pub(crate) fn rng_for(seed: u64, stream: u64, index: u64, attempt: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&stream.to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..].copy_from_slice(&attempt.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// FNV-1a of a name: a stable stream id for labels.
pub(crate) fn stream_id(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// How many escalations a tail row gets: attempt `retries + 1 + k` runs
/// `max_iters · 2^k` steps from the closest set seen (k = 1..=4, so at most
/// 30 times the steps of a normal attempt).
pub(crate) const ESCALATIONS: u32 = 4;

/// Samples one row: up to `1 + retries` annealing attempts, each from its own
/// derived seed. `round` distinguishes redraws made for distinctness. A
/// failed row's outcome carries the closest set seen, for [`escalate_row`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn sample_row<A: Adjacency>(
    pb: &Problem<'_, A>,
    bx: &TargetBox,
    seed: u64,
    stream: u64,
    row: u64,
    round: u32,
    sc: &mut Scratch,
    ctx: &Ctx,
) -> RowOutcome {
    sc.near_d = f64::INFINITY;
    let tries = pb.params.retries + 1;
    let plan = (0..tries).map(|a| (a, pb.params.max_iters, false));
    run_attempts(pb, bx, (seed, stream, row, round), plan, 0, sc, ctx)
}

/// Escalates a row that [`sample_row`] could not fill: [`ESCALATIONS`]
/// attempts with doubling step budgets, each restarting from the closest set
/// seen (`failed.nodes`), on seeds of their own (attempt numbers after the
/// normal ones), so the result still depends only on the seed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn escalate_row<A: Adjacency>(
    pb: &Problem<'_, A>,
    bx: &TargetBox,
    (seed, stream, row, round): (u64, u64, u64, u32),
    failed: &RowOutcome,
    sc: &mut Scratch,
    ctx: &Ctx,
) -> RowOutcome {
    sc.near.clear();
    sc.near.extend_from_slice(&failed.nodes);
    sc.near_d = failed.closest.2;
    let tries = pb.params.retries + 1;
    let plan = (1..=ESCALATIONS).map(|k| {
        let iters = pb.params.max_iters.saturating_mul(1 << k);
        (tries + k - 1, iters, true)
    });
    let mut out = run_attempts(
        pb,
        bx,
        (seed, stream, row, round),
        plan,
        failed.steps,
        sc,
        ctx,
    );
    if out.closest.2 > failed.closest.2 {
        out.closest = failed.closest;
    }
    out.escalated = true;
    out
}

/// Runs attempts `(attempt number, steps, from the closest set)` until one
/// lands in the region.
fn run_attempts<A: Adjacency>(
    pb: &Problem<'_, A>,
    bx: &TargetBox,
    (seed, stream, row, round): (u64, u64, u64, u32),
    plan: impl Iterator<Item = (u32, u32, bool)>,
    mut steps: u64,
    sc: &mut Scratch,
    ctx: &Ctx,
) -> RowOutcome {
    let mut closest = (0.0, 0.0, f64::INFINITY);
    let mut attempts = 0;
    for (attempt, iters, from_near) in plan {
        let mut rng = rng_for(seed, stream, row, ((round as u64) << 32) | attempt as u64);
        let (ok, st, cl) = sc.attempt(pb, bx, &mut rng, ctx, (iters, from_near));
        steps += st;
        attempts = attempt + 1;
        if cl.2 < closest.2 {
            closest = cl;
        }
        if ok {
            sc.best
                .sort_unstable_by_key(|&(s, n)| ((s as u64) << 32) | n as u64);
            let (p, q, pairs) = sc.best_counts;
            return RowOutcome {
                nodes: sc.best.clone(),
                pos_edges: p,
                neg_edges: q,
                pairs,
                steps,
                attempts,
                ok: true,
                closest,
                escalated: false,
            };
        }
        if ctx.cancelled() {
            break;
        }
    }
    RowOutcome {
        nodes: sc.near.clone(),
        pos_edges: 0,
        neg_edges: 0,
        pairs: 0,
        steps,
        attempts,
        ok: false,
        closest,
        escalated: false,
    }
}
