//! One rate limit for every worker of a run.
//!
//! * **Pause**: a 429 whose `Retry-After` (or `x-ratelimit-reset-requests` /
//!   `x-ratelimit-reset-tokens`) says "wait d" pauses EVERY worker until
//!   then, not only the one that received it: no request of the run leaves
//!   before the pause ends (requests already in flight finish).
//! * **Buckets**: optional `rpm` (requests per minute) and `tpm` (tokens per
//!   minute) limits, token buckets that start full and refill continuously;
//!   a request takes one request token and its estimated prompt tokens.
//!
//! Every wait wakes at once on cancellation (`stop`).

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket: `capacity` tokens, refilled at `capacity` per minute.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    /// (tokens now, when they were counted).
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(per_minute: u64) -> Bucket {
        Bucket {
            capacity: per_minute as f64,
            state: Mutex::new((per_minute as f64, Instant::now())),
        }
    }

    /// Takes `n` tokens (at most the capacity) when there are that many and
    /// returns `None`; else the time until there will be.
    fn try_take(&self, n: f64) -> Option<Duration> {
        let n = n.min(self.capacity);
        let rate = self.capacity / 60.0;
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let tokens = (s.0 + now.duration_since(s.1).as_secs_f64() * rate).min(self.capacity);
        *s = (tokens, now);
        if tokens >= n {
            s.0 -= n;
            None
        } else {
            Some(Duration::from_secs_f64((n - tokens) / rate))
        }
    }
}

/// The run-wide gate every attempt passes before it is sent.
#[derive(Debug)]
pub struct RateGate {
    pause_until: Mutex<Option<Instant>>,
    rpm: Option<Bucket>,
    tpm: Option<Bucket>,
    /// How often a pause was set (a 429 with a wait).
    pauses: std::sync::atomic::AtomicU64,
}

impl Default for RateGate {
    fn default() -> Self {
        RateGate::new(None, None)
    }
}

impl RateGate {
    /// A gate with optional requests-per-minute and tokens-per-minute limits.
    pub fn new(rpm: Option<u64>, tpm: Option<u64>) -> RateGate {
        RateGate {
            pause_until: Mutex::new(None),
            rpm: rpm.filter(|n| *n > 0).map(Bucket::new),
            tpm: tpm.filter(|n| *n > 0).map(Bucket::new),
            pauses: Default::default(),
        }
    }

    /// Pauses every worker for `d` from now (a later pause already set is
    /// kept).
    pub fn pause(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut p = self.pause_until.lock().unwrap_or_else(|p| p.into_inner());
        if p.is_none_or(|u| u < until) {
            *p = Some(until);
        }
        self.pauses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many pauses were set.
    pub fn pauses(&self) -> u64 {
        self.pauses.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn paused_for(&self) -> Option<Duration> {
        let p = self.pause_until.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        p.filter(|u| *u > now).map(|u| u - now)
    }

    /// Waits until no pause holds and the buckets give one request and
    /// `tokens` tokens. `false` when `stop` was set meanwhile.
    pub async fn admit(&self, tokens: u64, stop: &AtomicBool) -> bool {
        loop {
            if let Some(d) = self.paused_for() {
                if !super::runner::sleep_unless(d, stop).await {
                    return false;
                }
                continue;
            }
            if let Some(d) = self.rpm.as_ref().and_then(|b| b.try_take(1.0)) {
                if !super::runner::sleep_unless(d, stop).await {
                    return false;
                }
                continue;
            }
            if let Some(d) = self.tpm.as_ref().and_then(|b| b.try_take(tokens as f64)) {
                // The request token taken above is given back by waiting
                // for the tokens and taking it again: simpler to refund.
                if let Some(b) = &self.rpm {
                    let mut s = b.state.lock().unwrap_or_else(|p| p.into_inner());
                    s.0 = (s.0 + 1.0).min(b.capacity);
                }
                if !super::runner::sleep_unless(d, stop).await {
                    return false;
                }
                continue;
            }
            // A pause set while the buckets were read still holds.
            if self.paused_for().is_none() {
                return true;
            }
        }
    }
}

/// A provider reset header's duration: `1s`, `6m0s`, `17ms`, `1h2m3.5s`, or
/// plain seconds (`2`, `0.5`). `None` when it is neither.
pub fn parse_reset(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s));
    }
    let mut total = 0.0f64;
    let mut rest = v;
    let mut any = false;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..end].parse().ok()?;
        rest = &rest[end..];
        let (unit, len) = if rest.starts_with("ms") {
            (0.001, 2)
        } else if rest.starts_with('s') {
            (1.0, 1)
        } else if rest.starts_with('m') {
            (60.0, 1)
        } else if rest.starts_with('h') {
            (3600.0, 1)
        } else {
            return None;
        };
        rest = &rest[len..];
        total += n * unit;
        any = true;
    }
    (any && total.is_finite()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_headers_parse() {
        assert_eq!(parse_reset("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_reset("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_reset("17ms"), Some(Duration::from_millis(17)));
        assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(
            parse_reset("1h2m3.5s"),
            Some(Duration::from_secs_f64(3723.5))
        );
        assert_eq!(parse_reset("soon"), None);
        assert_eq!(parse_reset("-1"), None);
        assert_eq!(parse_reset("3x"), None);
    }

    #[test]
    fn a_bucket_refills_at_its_rate() {
        let b = Bucket::new(60); // one a second
        for _ in 0..60 {
            assert_eq!(b.try_take(1.0), None);
        }
        let wait = b.try_take(1.0).expect("empty");
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // More than the capacity waits for a full bucket, not forever.
        assert!(b.try_take(1000.0).unwrap() <= Duration::from_secs(60));
    }

    #[test]
    fn rpm_holds_requests_beyond_the_minute_s_share() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let gate = RateGate::new(Some(120), Some(1_000_000));
        let stop = AtomicBool::new(false);
        let t = std::time::Instant::now();
        for _ in 0..121 {
            assert!(rt.block_on(gate.admit(100, &stop)));
        }
        // 120 at once (the bucket starts full), the 121st after 0.5 s.
        let e = t.elapsed();
        assert!(
            e >= Duration::from_millis(450) && e < Duration::from_secs(3),
            "{e:?}"
        );
    }

    #[test]
    fn a_pause_holds_every_admission() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let gate = RateGate::default();
        gate.pause(Duration::from_millis(300));
        let t = std::time::Instant::now();
        let stop = AtomicBool::new(false);
        assert!(rt.block_on(gate.admit(10, &stop)));
        assert!(
            t.elapsed() >= Duration::from_millis(290),
            "{:?}",
            t.elapsed()
        );
        gate.pause(Duration::from_secs(30));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(!rt.block_on(gate.admit(10, &stop)));
    }
}
