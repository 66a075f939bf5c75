//! Dispatch a parsed command line to its command and map the outcome to an exit status.

use crate::cli::{Cli, Command};
use crate::error::{exit, ToolError};

pub fn run(cli: Cli) -> u8 {
    let result: Result<u8, ToolError> = match cli.command {
        Command::Size(args) => crate::size::run(&args),
        Command::Probe(args) => crate::probe::run(&args),
        Command::Saturate(args) => crate::saturate::run(&args),
        Command::Verify(_) | Command::WhatIf(_) | Command::Rule(_) => {
            Err(ToolError::new("this command is not built yet"))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            exit::ERROR
        }
    }
}
