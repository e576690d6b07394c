//! Execution context handed to long-running operations: a cancellation flag
//! (Ctrl-C in the shell) and a progress sink (a progress bar in the shell,
//! nothing elsewhere). The engine never talks to a terminal itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Error, Result};

/// Receives progress of a long operation. Implementations must be cheap.
pub trait Progress: Send + Sync {
    /// A phase starts with `total` steps (0 = unknown).
    fn start(&self, _phase: &str, _total: u64) {}
    /// `n` more steps are done.
    fn advance(&self, _n: u64) {}
    /// The phase is over.
    fn finish(&self) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Cancellation and progress for one statement.
#[derive(Clone)]
pub struct Ctx {
    pub cancel: Arc<AtomicBool>,
    pub progress: Arc<dyn Progress>,
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx {
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(NoProgress),
        }
    }
}

impl Ctx {
    /// True once cancellation was requested.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once cancellation was requested.
    pub fn check(&self) -> Result<()> {
        if self.cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}
