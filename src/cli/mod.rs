//! Command-line parsing and reporting; everything else is the library's.

/// Writes one line to stderr and ignores a failed write: a full, closed or broken stderr
/// (`2>/dev/full`) never turns a finished run into a panic or a failure. Use it instead of
/// `eprintln!`, which panics when the write fails.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod args;
mod combos;
mod failure;
mod info;
mod paths;
mod preflight;
mod progress;
mod pyramid;
mod render;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command};
use combos::Given;

/// Exit status of a command line clap rejects (a bad flag value, a missing argument).
pub const EXIT_USAGE: i32 = 2;

/// Exit status of a failed run (bad input, I/O error, full disk...).
pub const EXIT_FAILURE: i32 = 1;

/// Runs the command line and returns the process exit code: 0 on success,
/// [`EXIT_FAILURE`], [`EXIT_USAGE`], or 128 + the signal number when interrupted.
pub fn run() -> i32 {
    gigaplot::cleanup::install_fault_handlers();
    let parsed = Cli::command().try_get_matches().and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // A bare `gigaplot`: the whole help (usage and commands), on stderr.
            use std::io::Write as _;
            let _ = write!(std::io::stderr().lock(), "{}", e.render());
            return EXIT_USAGE;
        }
        Err(e) if e.use_stderr() => {
            note!("gigaplot: {}", one_line(&e.render().to_string()));
            return EXIT_USAGE;
        }
        Err(e) => {
            let _ = e.print();
            return 0;
        }
    };
    let given = Given::of_subcommand(&matches);
    let quiet = cli.quiet;
    let result = match cli.command {
        Command::Render(mut a) => {
            render::resolve_table(&mut a, &given).and_then(|()| render::run(&a, &given, quiet))
        }
        Command::Info(a) => info::run(&a),
        Command::Generate(a) => render::generate(&a, quiet),
        Command::Stats(a) => pyramid::stats(&a, &given, quiet),
        Command::Serve(a) => pyramid::serve(&a),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            note!("gigaplot: error: {}", one_line(&e.line()));
            match e {
                failure::Failure::Library(gigaplot::Error::Interrupted) => {
                    128 + progress::stop_signal().unwrap_or(2)
                }
                _ => EXIT_FAILURE,
            }
        }
    }
}

/// A message on one line: clap's usage lines and generic tips dropped, the rest joined with
/// spaces. A tip naming a similar flag or value (`tip: a similar argument exists: '--x-range'`)
/// is kept, after a semicolon.
fn one_line(message: &str) -> String {
    let mut line = String::new();
    let lines = message
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"));
    for part in lines {
        let is_tip = part.starts_with("tip:");
        if part.is_empty() || (is_tip && !part.contains("similar")) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(if is_tip { "; " } else { " " });
        }
        line.push_str(part);
    }
    line
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
        let text = "error: unexpected argument '--xrange' found\n\n  tip: a similar argument exists: '--x-range'\n\n\
                    Usage: gigaplot render --x <X>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(text),
            "error: unexpected argument '--xrange' found; tip: a similar argument exists: '--x-range'"
        );
    }
}
