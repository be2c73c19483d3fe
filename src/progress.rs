//! Progress reporting and cancellation, as a small observer the caller passes in.
//!
//! The library never draws anything: the CLI implements [`Progress`] with a progress bar and
//! a signal handler; library users can pass [`NoProgress`].

/// Receives progress events and answers whether the work should stop.
pub trait Progress: Sync {
    /// A new stage of work begins, with `total` units (points, rows...) to do.
    fn stage(&self, name: &str, total: u64) {
        let _ = (name, total);
    }
    /// `units` more units of the current stage are done.
    fn advance(&self, units: u64) {
        let _ = units;
    }
    /// True when the caller wants the work stopped; the library then returns
    /// [`crate::Error::Interrupted`] promptly and removes its temporary files.
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// A [`Progress`] that ignores everything and never cancels.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Returns [`crate::Error::Interrupted`] if `progress` asks to stop.
pub fn check_cancelled(progress: &dyn Progress) -> crate::Result<()> {
    if progress.is_cancelled() {
        Err(crate::Error::Interrupted)
    } else {
        Ok(())
    }
}
