//! Ctrl-C (SIGINT). While a statement runs, the first Ctrl-C sets the
//! statement's cancellation flag (the engine stops at its next check and
//! stores nothing). Non-interactive runs then stop with status 130; a
//! Ctrl-C while no statement runs (e.g. waiting on standard input), or a
//! second one, ends the process at once with 130.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells use.
pub const INTERRUPTED: u8 = 130;

/// Shared between the handler and the shell.
#[derive(Default)]
pub struct Signals {
    /// The running statement's cancellation flag (handed to the engine).
    pub cancel: Arc<AtomicBool>,
    /// A statement is running.
    running: AtomicBool,
    /// Ctrl-C was pressed since the last [`Signals::begin`].
    interrupted: AtomicBool,
    /// Interactive shell: Ctrl-C only cancels; the shell goes on.
    interactive: AtomicBool,
}

impl Signals {
    /// A statement starts: clear earlier interruptions.
    pub fn begin(&self) {
        self.cancel.store(false, Ordering::SeqCst);
        self.interrupted.store(false, Ordering::SeqCst);
        self.running.store(true, Ordering::SeqCst);
    }

    /// The statement is over (finished, failed or cancelled).
    pub fn end(&self) {
        self.running.store(false, Ordering::SeqCst);
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    pub fn set_interactive(&self, on: bool) {
        self.interactive.store(on, Ordering::SeqCst);
    }

    fn on_sigint(&self) {
        let again = self.interrupted.swap(true, Ordering::SeqCst);
        self.cancel.store(true, Ordering::SeqCst);
        let interactive = self.interactive.load(Ordering::SeqCst);
        if !interactive && (again || !self.running.load(Ordering::SeqCst)) {
            // Nothing to cancel (or a second Ctrl-C): stop now. The store is
            // transactional, so nothing half-written can remain.
            crate::output::close_stdout_json("interrupted (Ctrl-C)");
            std::process::exit(i32::from(INTERRUPTED));
        }
    }
}

/// Installs the SIGINT handler (again after rustyline, which installs its own).
pub fn install(signals: &Arc<Signals>) {
    let s = signals.clone();
    if let Err(e) = ctrlc::set_handler(move || s.on_sigint()) {
        crate::output::report(&format!("warning: Ctrl-C will not cancel statements: {e}"));
    }
}
