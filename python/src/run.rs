//! Runs a library call with the GIL released, on a thread of its own, while the calling
//! thread wakes every 100 ms to take the GIL briefly: it checks for Ctrl-C (Python runs
//! signal handlers on the main thread only, so the check cannot happen in the workers)
//! and calls the progress callback. Ctrl-C (or an exception from the callback) cancels
//! the render through [`Progress::is_cancelled`]; the library then removes what it had
//! started writing, and the exception is raised once the render thread has stopped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gigaplot::Progress;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::errors::to_py;

/// How often the calling thread checks for signals and reports progress.
const TICK: Duration = Duration::from_millis(100);

/// The progress a render reports, read by the calling thread, and its cancel flag.
#[derive(Default)]
struct Watch {
    cancelled: AtomicBool,
    stage: Mutex<(String, u64)>,
    done: AtomicU64,
}

impl Progress for Watch {
    fn stage(&self, name: &str, total: u64) {
        if let Ok(mut stage) = self.stage.lock() {
            *stage = (name.to_string(), total);
        }
        self.done.store(0, Ordering::Relaxed);
    }
    fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }
    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// Runs `work` as described in the module docs; `callback(stage, done, total)` is called
/// when the progress moved. Returns the work's result, or the exception that stopped it.
pub fn interruptible<T: Send>(
    py: Python<'_>,
    callback: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&dyn Progress) -> gigaplot::Result<T> + Send,
) -> PyResult<T> {
    let watch = Watch::default();
    let finished = AtomicBool::new(false);
    let mut raised: Option<PyErr> = None;
    let mut reported = (String::new(), u64::MAX);
    let result = std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let result = work(&watch);
            finished.store(true, Ordering::Release);
            result
        });
        while !finished.load(Ordering::Acquire) {
            py.detach(|| {
                let until = Instant::now() + TICK;
                while !finished.load(Ordering::Acquire) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(2));
                }
            });
            if raised.is_some() {
                continue;
            }
            if let Err(e) = py.check_signals() {
                watch.cancelled.store(true, Ordering::Relaxed);
                raised = Some(e);
                continue;
            }
            if let Some(callback) = callback {
                let (stage, total) = watch.stage.lock().map(|s| s.clone()).unwrap_or_default();
                let done = watch.done.load(Ordering::Relaxed);
                if (stage.as_str(), done) != (reported.0.as_str(), reported.1) && !stage.is_empty() {
                    if let Err(e) = callback.call1((stage.as_str(), done, total)) {
                        watch.cancelled.store(true, Ordering::Relaxed);
                        raised = Some(e);
                    }
                    reported = (stage, done);
                }
            }
        }
        py.detach(|| handle.join())
    });
    if let Some(e) = raised {
        return Err(e);
    }
    match result {
        Ok(result) => result.map_err(to_py),
        Err(_) => Err(PyRuntimeError::new_err("gigaplot: the render thread panicked")),
    }
}
