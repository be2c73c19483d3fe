//! A progress bar with ETA on stderr (only when stderr is a terminal), and cancellation on
//! SIGINT / SIGTERM so the library can stop and clean up.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The CLI's [`gigaplot::progress::Progress`]: a bar per stage and a signal flag.
pub struct Bar {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    stages: Mutex<Vec<(String, Instant)>>,
}

impl Bar {
    /// A bar that draws only when `visible` and stderr is a terminal. A first SIGINT or
    /// SIGTERM asks the render to stop cleanly; a second one exits at once.
    pub fn new(visible: bool) -> Bar {
        let stop = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // A second signal while `stop` is set terminates immediately.
            let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop));
            let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
        }
        let target = if visible && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>20} [{bar:40}] {percent:>3}% {elapsed_precise} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        Bar { bar, stop, stages: Mutex::new(Vec::new()) }
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

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl gigaplot::progress::Progress for Bar {
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
        self.stop.load(Ordering::Relaxed)
    }
}
