//! Routing (phase 6, no call): what becomes of each scored cluster pair.
//!
//! A pure function of the scores, the clusterings and the thresholds, so it
//! is tested without a backend:
//! * score `>= pos_threshold` or `<= neg_threshold` survives; the band
//!   between and `null` are discarded (their attribute pairs get no edge
//!   and no call);
//! * a survivor with score `>= inherit_pos` (`<= inherit_neg`) gives its
//!   attribute pairs `+` (`-`) directly, except pairs touching a
//!   noise-flagged attribute, which are classified;
//! * a cluster pair whose scoring call failed is kept and classified
//!   (never silently dropped).

use std::collections::BTreeMap;

use crate::Sign;

/// (source modality, source cluster, target modality, target cluster).
pub type ClusterPair = (usize, usize, usize, usize);

/// The answer about one cluster pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scored {
    /// The scoring call failed after its retries.
    Failed,
    /// `null`: not a viable combination.
    Null,
    Score(f64),
}

/// One modality's clustering as routing sees it.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Members (attribute indices) per cluster.
    pub members: &'a [Vec<usize>],
    /// Noise flag per attribute.
    pub noise: &'a [bool],
}

/// The score thresholds (see [`super::ClusterOptions`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub pos: f64,
    pub neg: f64,
    pub inherit_pos: f64,
    pub inherit_neg: f64,
}

/// Counts of the routing step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteReport {
    pub cluster_pairs: u64,
    pub positive: u64,
    pub negative: u64,
    pub neutral_band: u64,
    pub null: u64,
    pub unscored: u64,
    pub attribute_pairs: u64,
    pub discarded: u64,
    pub inherited: u64,
    pub noise_routed: u64,
}

/// An attribute pair given a sign without a call:
/// (modality a, attribute, modality b, attribute, sign), a < b.
pub type Inherited = (usize, usize, usize, usize, Sign);

/// What routing decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routed {
    pub report: RouteReport,
    pub inherited: Vec<Inherited>,
    /// Attribute pairs to classify, per (modality a, modality b), a < b.
    pub to_classify: BTreeMap<(usize, usize), Vec<(usize, usize)>>,
}

/// Routes every scored cluster pair (see the module docs).
pub fn route(scores: &BTreeMap<ClusterPair, Scored>, mods: &[Side], t: &Thresholds) -> Routed {
    let mut out = Routed::default();
    let r = &mut out.report;
    for (&(s, sc, tm, tc), &score) in scores {
        let (ma, ca, mb, cb) = if s < tm {
            (s, sc, tm, tc)
        } else {
            (tm, tc, s, sc)
        };
        let (ra, rb) = (&mods[ma].members[ca], &mods[mb].members[cb]);
        let npairs = (ra.len() * rb.len()) as u64;
        r.cluster_pairs += 1;
        r.attribute_pairs += npairs;
        let inherit: Option<Sign> = match score {
            Scored::Failed => {
                r.unscored += 1;
                None
            }
            Scored::Null => {
                r.null += 1;
                r.discarded += npairs;
                continue;
            }
            Scored::Score(x) if x >= t.pos => {
                r.positive += 1;
                (x >= t.inherit_pos).then_some(Sign::Pos)
            }
            Scored::Score(x) if x <= t.neg => {
                r.negative += 1;
                (x <= t.inherit_neg).then_some(Sign::Neg)
            }
            Scored::Score(_) => {
                r.neutral_band += 1;
                r.discarded += npairs;
                continue;
            }
        };
        let list = out.to_classify.entry((ma, mb)).or_default();
        for &x in ra {
            for &y in rb {
                let noisy = mods[ma].noise[x] || mods[mb].noise[y];
                match inherit {
                    Some(sign) if !noisy => {
                        r.inherited += 1;
                        out.inherited.push((ma, x, mb, y, sign));
                    }
                    Some(_) => {
                        r.noise_routed += 1;
                        list.push((x, y));
                    }
                    None => list.push((x, y)),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        pos: 7.0,
        neg: 4.0,
        inherit_pos: 8.0,
        inherit_neg: 3.0,
    };

    /// Modality 0: clusters {0,1} and {2}; attribute 1 is noise.
    /// Modality 1: clusters {0} and {1,2}.
    fn route_one(score: Scored, noise: bool) -> Routed {
        let m0 = vec![vec![0, 1], vec![2]];
        let m1 = vec![vec![0], vec![1, 2]];
        let n0 = [false, noise, false];
        let n1 = [false, false, false];
        let sides = [
            Side {
                members: &m0,
                noise: &n0,
            },
            Side {
                members: &m1,
                noise: &n1,
            },
        ];
        // Source = modality 1, cluster 1 against modality 0, cluster 0:
        // the pair is reported as (modality 0, modality 1).
        let scores = BTreeMap::from([((1, 1, 0, 0), score)]);
        route(&scores, &sides, &T)
    }

    #[test]
    fn thresholds_split_survivors_from_the_band() {
        for (score, pos, neg, band) in [
            (7.0, 1, 0, 0),
            (6.9, 0, 0, 1),
            (4.1, 0, 0, 1),
            (4.0, 0, 1, 0),
            (0.0, 0, 1, 0),
            (10.0, 1, 0, 0),
        ] {
            let r = route_one(Scored::Score(score), false);
            let got = (r.report.positive, r.report.negative, r.report.neutral_band);
            assert_eq!(got, (pos, neg, band), "score {score}");
            assert_eq!(r.report.attribute_pairs, 4);
            if band == 1 {
                assert_eq!(r.report.discarded, 4);
                assert!(r.to_classify.is_empty() && r.inherited.is_empty());
            } else {
                assert_eq!(r.report.discarded, 0);
            }
        }
    }

    #[test]
    fn null_is_discarded_and_a_failed_score_is_classified() {
        let r = route_one(Scored::Null, false);
        assert_eq!((r.report.null, r.report.discarded), (1, 4));
        assert!(r.to_classify.is_empty());
        let r = route_one(Scored::Failed, false);
        assert_eq!((r.report.unscored, r.report.discarded), (1, 0));
        assert_eq!(r.to_classify[&(0, 1)], vec![(0, 1), (0, 2), (1, 1), (1, 2)]);
        assert!(r.inherited.is_empty());
    }

    #[test]
    fn extremes_inherit_except_noise_members() {
        let r = route_one(Scored::Score(8.0), false);
        assert_eq!(r.report.inherited, 4);
        assert!(r.inherited.iter().all(|e| e.4 == Sign::Pos));
        assert!(r.to_classify[&(0, 1)].is_empty());
        let r = route_one(Scored::Score(3.0), true);
        // Attribute 1 of modality 0 is noise: its two pairs are classified.
        assert_eq!((r.report.inherited, r.report.noise_routed), (2, 2));
        assert!(r.inherited.iter().all(|e| e.4 == Sign::Neg && e.1 == 0));
        assert_eq!(r.to_classify[&(0, 1)], vec![(1, 1), (1, 2)]);
        // Survivors short of the inherit thresholds are all classified.
        let r = route_one(Scored::Score(7.5), false);
        assert_eq!((r.report.inherited, r.to_classify[&(0, 1)].len()), (0, 4));
    }
}
