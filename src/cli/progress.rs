//! A progress bar with ETA on stderr (only when stderr is a terminal), and cancellation on
//! SIGINT / SIGTERM / SIGHUP (a dropped SSH session) so the library can stop and clean up.
//!
//! The first signal sets a flag the library polls: it stops at its next check, and every
//! temporary and scratch file is removed by its destructor. A second signal does not wait:
//! the handler unlinks the registered temporary files ([`gigaplot::cleanup`]) and exits.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The CLI's [`gigaplot::Progress`]: a bar per stage and a signal flag.
pub struct Bar {
    bar: ProgressBar,
    stages: Mutex<Vec<(String, Instant)>>,
}

/// The first stop signal received (0 while none).
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The signal that interrupted the run, if any, for the exit status (128 + signal).
pub fn stop_signal() -> Option<i32> {
    Some(STOP_SIGNAL.load(Ordering::SeqCst)).filter(|&s| s != 0)
}

/// Installs the SIGINT / SIGTERM / SIGHUP handlers (once per process).
fn install_stop_handlers() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // SAFETY: the action only uses an atomic swap and `emergency_exit`, which is
            // async-signal-safe (write, unlink, _exit).
            let _ = unsafe {
                signal_hook::low_level::register(signal, move || {
                    if STOP_SIGNAL.swap(signal, Ordering::SeqCst) != 0 {
                        gigaplot::cleanup::emergency_exit(
                            128 + signal,
                            b"gigaplot: error: interrupted again; stopped at once, no output was written\n",
                        );
                    }
                })
            };
        }
    });
}

impl Bar {
    /// A bar that draws only when `visible` and stderr is a terminal. A first SIGINT,
    /// SIGTERM or SIGHUP asks the render to stop cleanly; a second one exits at once.
    pub fn new(visible: bool) -> Bar {
        install_stop_handlers();
        let target = if visible && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{msg:>20} [{bar:40}] {percent:>3}% {elapsed_precise} ETA {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        Bar { bar, stages: Mutex::new(Vec::new()) }
    }

    /// How long each stage took, in order (the last one until now).
    pub fn timings(&self) -> Vec<(String, Duration)> {
        let stages = self.stages.lock().map(|s| s.clone()).unwrap_or_default();
        let now = Instant::now();
        stages
            .iter()
            .enumerate()
            .map(|(i, (name, start))| {
                let end = stages.get(i + 1).map_or(now, |(_, next)| *next);
                (name.clone(), end - *start)
            })
            .collect()
    }

    /// How long each stage took, as [`Bar::timings`], and forgets them: the stages of the
    /// next render are timed on their own (`--thumbnail` renders twice).
    pub fn take_timings(&self) -> Vec<(String, Duration)> {
        let timings = self.timings();
        if let Ok(mut stages) = self.stages.lock() {
            stages.clear();
        }
        timings
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl gigaplot::Progress for Bar {
    fn stage(&self, name: &str, total: u64) {
        if let Ok(mut stages) = self.stages.lock() {
            stages.push((name.to_string(), Instant::now()));
        }
        self.bar.set_message(name.to_string());
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.reset_eta();
    }

    fn advance(&self, units: u64) {
        self.bar.inc(units);
    }

    fn is_cancelled(&self) -> bool {
        STOP_SIGNAL.load(Ordering::Relaxed) != 0
    }
}
