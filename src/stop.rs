//! The stop signal a background task watches (`tasks` sends it): a neutral module, so the
//! capabilities that own tasks need nothing above them.

use tokio::sync::watch;

/// A task's view of the stop signal.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl From<watch::Receiver<bool>> for Stop {
    fn from(rx: watch::Receiver<bool>) -> Self {
        Self(rx)
    }
}

impl Stop {
    /// Whether stop has been signalled.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once stop is signalled (at once if it already was, or if the sender is gone).
    pub async fn stopped(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// A signal that never fires (a task run on its own, e.g. by a CLI command).
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        // Kept alive for the program's life: a dropped sender would read as "stop".
        std::mem::forget(tx);
        Self(rx)
    }
}
