//! `poolcheck completions` and `poolcheck man`: clap's own generators over the one command
//! definition in cli.rs, so neither can drift from what the parser accepts.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::core::error::{exit, ToolError, ToolResult};
use clap::CommandFactory;

pub fn completions(args: &CompletionsArgs) -> ToolResult<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "poolcheck", &mut buf);
    out!(String::from_utf8_lossy(&buf));
    Ok(exit::CLEAN)
}

pub fn man(args: &ManArgs) -> ToolResult<u8> {
    let cmd = Cli::command();
    match &args.dir {
        None => {
            let mut buf = Vec::new();
            render(&cmd, &mut buf)?;
            out!(String::from_utf8_lossy(&buf));
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
            let mut pages = vec![("poolcheck".to_string(), cmd.clone())];
            for sub in cmd.get_subcommands() {
                let name = format!("poolcheck-{}", sub.get_name());
                pages.push((name.clone(), sub.clone().name(name)));
            }
            for (name, page) in pages {
                let path = dir.join(format!("{name}.1"));
                let mut buf = Vec::new();
                render(&page, &mut buf)?;
                std::fs::write(&path, buf).map_err(|e| write_error(&path, e))?;
                outln!(crate::core::source::display_path(&path));
            }
        }
    }
    Ok(exit::CLEAN)
}

fn render(cmd: &clap::Command, buf: &mut Vec<u8>) -> ToolResult<()> {
    clap_mangen::Man::new(cmd.clone())
        .render(buf)
        .map_err(|e| ToolError::new(format!("could not render the man page: {e}")))
}

fn write_error(path: &std::path::Path, e: std::io::Error) -> ToolError {
    ToolError::new(format!("{}: could not write: {e}", path.display()))
        .with_help("give a directory you can write to")
}
