//! A progress bar (indicatif) for long statements in the interactive shell;
//! it appears only once a phase has run for a moment.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

const DELAY: Duration = Duration::from_millis(300);

#[derive(Default)]
struct State {
    phase: String,
    total: u64,
    done: u64,
    started: Option<Instant>,
    bar: Option<ProgressBar>,
}

/// Progress sink drawing on standard error.
#[derive(Default)]
pub struct Bar {
    state: Mutex<State>,
}

impl valence::Progress for Bar {
    fn start(&self, phase: &str, total: u64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = s.bar.take() {
            b.finish_and_clear();
        }
        *s = State {
            phase: phase.to_string(),
            total,
            done: 0,
            started: Some(Instant::now()),
            bar: None,
        };
    }

    fn advance(&self, n: u64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.done += n;
        if s.bar.is_none() && s.started.is_some_and(|t| t.elapsed() > DELAY) {
            let bar = if s.total > 0 {
                ProgressBar::new(s.total)
            } else {
                ProgressBar::new_spinner()
            };
            let style = ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(s.phase.clone());
            s.bar = Some(bar);
        }
        if let Some(b) = &s.bar {
            b.set_position(s.done);
        }
    }

    fn finish(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = s.bar.take() {
            b.finish_and_clear();
        }
    }
}
