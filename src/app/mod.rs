//! One file per command: arguments → typed request → engine → render → exit code. This file
//! dispatches a parsed command line and maps errors to exit code 2.

pub mod probe;
pub mod rule;
pub mod saturate;
pub mod size;
pub mod verify;
pub mod whatif;

use crate::cli::{Cli, Command};
use crate::core::error::{exit, ToolError};

pub fn run(cli: Cli) -> u8 {
    let result: Result<u8, ToolError> = match cli.command {
        Command::Size(args) => size::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Saturate(args) => saturate::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Rule(args) => rule::run(&args),
        Command::WhatIf(args) => whatif::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            crate::core::secrets::eprint(&format!("{:?}\n", miette::Report::new(e)));
            exit::ERROR
        }
    }
}
