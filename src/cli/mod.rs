//! Command-line parsing and reporting; everything else is the library's.

mod args;
mod info;
mod progress;
mod render;

use clap::Parser;

use args::{Cli, Command};

/// Runs the command line and returns the process exit code (0 only on success).
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match &cli.command {
        Command::Render(a) => render::run(a, cli.quiet),
        Command::Info(a) => info::run(a),
        Command::Generate(a) => render::generate(a, cli.quiet),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("gigaplot: error: {e}");
            match e {
                gigaplot::Error::Interrupted => 130,
                _ => 1,
            }
        }
    }
}
