//! `poolcheck verify`: the command line → a pipeline request → the report → the exit code.

use crate::cli::VerifyArgs;
use crate::core::error::ToolResult;
use crate::model::overrides::Flags;
use crate::pipeline::{self, ConfigChoice, Request};

pub fn run(args: &VerifyArgs) -> ToolResult<u8> {
    let analysis = pipeline::analyze(&request(args))?;
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
        profiles: args.profiles.clone(),
    }
}
