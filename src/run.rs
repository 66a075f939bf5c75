//! Dispatch a parsed command line to its command and map the outcome to an exit status.

use crate::cli::{Cli, Command};
use crate::error::{exit, ToolError};

pub fn run(cli: Cli) -> u8 {
    let result: Result<u8, ToolError> = match cli.command {
        Command::Size(args) => crate::size::run(&args),
        Command::Probe(args) => crate::probe::run(&args),
        Command::Saturate(args) => crate::saturate::run(&args),
        Command::Verify(args) => crate::verify::run(&args),
        Command::Rule(args) => rule(&args),
        Command::WhatIf(args) => crate::whatif::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            exit::ERROR
        }
    }
}

fn rule(args: &crate::cli::RuleArgs) -> Result<u8, ToolError> {
    use crate::rules::catalog;
    match &args.code {
        Some(code) => {
            let meta = catalog::find(code).ok_or_else(|| {
                ToolError::new(format!("no rule has the code or name `{code}`"))
                    .with_help("run `poolcheck rule` to list every rule")
            })?;
            match args.format {
                crate::cli::Format::Human => print!("{}", catalog::render(meta)),
                crate::cli::Format::Json => {
                    println!("{}", serde_json::to_string_pretty(meta).unwrap_or_default())
                }
            }
        }
        None => match args.format {
            crate::cli::Format::Human => {
                for r in catalog::all() {
                    println!(
                        "{}  {:<40} {:<8} {}",
                        r.code,
                        r.name,
                        catalog::severity_word(r.severity),
                        r.summary
                    );
                }
            }
            crate::cli::Format::Json => println!(
                "{}",
                serde_json::to_string_pretty(catalog::all()).unwrap_or_default()
            ),
        },
    }
    Ok(exit::CLEAN)
}
