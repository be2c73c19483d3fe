//! Command-line parsing and reporting; everything else is the library's.

mod args;
mod info;
mod preflight;
mod progress;
mod pyramid;
mod render;

use clap::Parser;

use args::{Cli, Command};

/// Exit status of a command line clap rejects (a bad flag value, a missing argument).
pub const EXIT_USAGE: i32 = 2;

/// Exit status of a failed run (bad input, I/O error, full disk...).
pub const EXIT_FAILURE: i32 = 1;

/// Runs the command line and returns the process exit code: 0 on success,
/// [`EXIT_FAILURE`], [`EXIT_USAGE`], or 128 + the signal number when interrupted.
pub fn run() -> i32 {
    gigaplot::cleanup::install_fault_handlers();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            eprintln!("gigaplot: {}", one_line(&e.render().to_string()));
            return EXIT_USAGE;
        }
        Err(e) => {
            let _ = e.print();
            return 0;
        }
    };
    let result = match &cli.command {
        Command::Render(a) => render::run(a, cli.quiet),
        Command::Info(a) => info::run(a),
        Command::Generate(a) => render::generate(a, cli.quiet),
        Command::Stats(a) => pyramid::stats(a, cli.quiet),
        Command::Serve(a) => pyramid::serve(a),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("gigaplot: error: {}", one_line(&e.to_string()));
            match e {
                gigaplot::Error::Interrupted => 128 + progress::stop_signal().unwrap_or(2),
                _ => EXIT_FAILURE,
            }
        }
    }
}

/// A message on one line: clap's usage and tip lines dropped, the rest joined with spaces.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty() && !line.starts_with("tip:"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_one_line() {
        let text = "error: the following required arguments were not provided:\n  --x <X>\n  --y <Y>\n\n\
                    Usage: gigaplot render --x <X>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(text),
            "error: the following required arguments were not provided: --x <X> --y <Y>"
        );
        let text = "error: unexpected argument '--foo' found\n\n  tip: to pass '--foo' as a value, use '-- --foo'\n\nUsage: x\n";
        assert_eq!(one_line(text), "error: unexpected argument '--foo' found");
    }
}
