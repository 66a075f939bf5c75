//! `poolcheck verify`: the command line → a pipeline request → the report → the exit code.

use crate::cli::VerifyArgs;
use crate::core::error::{ToolError, ToolResult};
use crate::lint::baseline;
use crate::model::overrides::Flags;
use crate::pipeline::{self, ConfigChoice, Request};

pub fn run(args: &VerifyArgs) -> ToolResult<u8> {
    let mut analysis = pipeline::analyze(&request(args))?;
    if let Some(path) = &args.write_baseline {
        let n = baseline::write(path, &analysis.findings, &analysis.sources)
            .map_err(|m| ToolError::new(m).with_help("check the path and its permissions"))?;
        let shown = crate::core::source::display_path(path);
        outln!(
            "wrote {} to {}; `--baseline {}` now fails only on new ones",
            count(n, "finding", "findings"),
            shown,
            shown
        );
        return Ok(crate::core::error::exit::CLEAN);
    }
    if let Some(path) = &args.baseline {
        let outcome = baseline::filter(path, &mut analysis.findings, &analysis.sources)
            .map_err(|(m, help)| ToolError::new(m).with_help(help))?;
        // On stderr, so every output format on stdout stays what its consumers parse.
        if outcome.known > 0 || outcome.stale > 0 {
            let shown = crate::core::source::display_path(path);
            crate::core::secrets::eprint(&format!(
                "baseline {shown}: {} not shown, {} no longer found{}\n",
                count(outcome.known, "known finding", "known findings"),
                count(outcome.stale, "entry", "entries"),
                if outcome.stale > 0 {
                    " (--write-baseline refreshes it)"
                } else {
                    ""
                }
            ));
        }
    }
    let report = analysis.report();
    crate::core::secrets::print(&crate::report::render(args.format, &report));
    Ok(report.exit_code())
}

/// The typed request behind verify's arguments (what-if adds its own changes to it).
pub fn request(args: &VerifyArgs) -> Request {
    let config = if args.no_config {
        ConfigChoice::None
    } else if let Some(p) = &args.config {
        ConfigChoice::File(p.clone())
    } else {
        ConfigChoice::Search
    };
    let (env, env_flag) = if args.prod {
        (Some("prod".to_string()), "--prod".to_string())
    } else {
        match &args.env {
            Some(e) => (Some(e.clone()), format!("--env {e}")),
            None => (None, String::new()),
        }
    };
    Request {
        paths: args.paths.clone(),
        config,
        env,
        env_flag,
        values: args.values.clone(),
        flags: Flags {
            max_connections: args.max_connections,
            reserved: args.reserved,
            replicas: args.replicas,
        },
        probe: args.probe.clone(),
        fail_on: args.fail_on,
        sets: args.set.clone(),
        rps: None,
        max_file_size: args.max_file_size,
        stdin_filename: args.stdin_filename.clone(),
        profiles: args.profiles.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
    }
}

/// `1 finding`, `2 findings`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
