//! One file per command: arguments → typed request → engine → render → exit code. This file
//! dispatches a parsed command line and maps errors to exit code 2.

pub mod docs;
pub mod init;
pub mod preset;
pub mod probe;
pub mod rule;
pub mod saturate;
pub mod size;
pub mod verify;
pub mod whatif;

use crate::cli::{Cli, Command, Format, ReportFormat};
use crate::core::error::{exit, ToolError};

/// The output format a command was asked for, in report terms (tool errors follow it).
pub fn format_of(command: &Command) -> ReportFormat {
    let simple = |f: Format| match f {
        Format::Human => ReportFormat::Human,
        Format::Json => ReportFormat::Json,
    };
    match command {
        Command::Verify(a) => a.format,
        Command::WhatIf(a) => a.verify.format,
        Command::Size(a) => simple(a.format),
        Command::Probe(a) => simple(a.format),
        Command::Saturate(a) => simple(a.format),
        Command::Rule(a) => simple(a.format),
        Command::App(a) => simple(a.format),
        Command::Init(_) | Command::Completions(_) | Command::Man(_) => ReportFormat::Human,
    }
}

/// Prints a usage or tool error where its reader looks: stdout in the machine format asked
/// for, else a diagnostic on stderr.
pub fn report_error(format: ReportFormat, e: ToolError) {
    match crate::report::render_error(format, &e) {
        Some(text) => crate::core::secrets::print(&text),
        None => {
            let style = crate::core::term::style();
            let handler = crate::report::human::handler_for(style.color, style.width);
            // One diagnostic per error: miette's nesting of related errors reads as a chain
            // of causes, which several independent mistakes are not.
            for one in e.all() {
                let mut single = ToolError::new(one.message.clone());
                single.help = one.help.clone();
                let mut s = String::new();
                if handler.render_report(&mut s, &single).is_err() {
                    s = format!("error: {}\n", one.message);
                }
                crate::core::secrets::eprint(&format!("{s}\n"));
            }
            if !e.others.is_empty() {
                crate::core::secrets::eprint(&format!(
                    "{} errors; fix them and run again\n",
                    e.others.len() + 1
                ));
            }
        }
    }
}

pub fn run(cli: Cli) -> u8 {
    crate::core::term::set(crate::core::term::Style {
        color: crate::core::term::detect_color(cli.color.forced()),
        width: crate::core::term::detect_width(),
        quiet: cli.quiet,
        verbose: cli.verbose,
    });
    let format = format_of(&cli.command);
    let result: Result<u8, ToolError> = match cli.command {
        Command::Size(args) => size::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Saturate(args) => saturate::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Rule(args) => rule::run(&args),
        Command::App(args) => preset::run(&args),
        Command::WhatIf(args) => whatif::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report_error(format, e);
            exit::ERROR
        }
    }
}
