use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = poolcheck::cli::Cli::parse();
    ExitCode::from(poolcheck::run::run(cli))
}
