use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything can print: every secret of the command line and environment is known
    // to the output scrubber.
    poolcheck::core::secrets::register_process_inputs();
    let cli = match poolcheck::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Under a machine format a usage error is as machine-readable as a tool error.
            if e.use_stderr() {
                if let Some(format) = asked_format() {
                    let first = e.render().to_string();
                    let first = first.lines().next().unwrap_or("invalid arguments");
                    let message = first.trim_start_matches("error: ").to_string();
                    let err = poolcheck::core::error::ToolError::new(message)
                        .with_help("run `poolcheck --help` for the arguments");
                    if let Some(text) = poolcheck::report::render_error(format, &err) {
                        poolcheck::core::secrets::print(&text);
                        return ExitCode::from(poolcheck::core::error::exit::ERROR);
                    }
                }
            }
            // clap's own messages echo arguments; they go through the scrubber too.
            let text = e.render().to_string();
            if e.use_stderr() {
                poolcheck::core::secrets::eprint(&format!("{text}\n"));
            } else {
                poolcheck::core::secrets::print(&text);
            }
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    ExitCode::from(poolcheck::app::run(cli))
}

/// The `--format` of a command line clap rejected, when it names a machine format.
fn asked_format() -> Option<poolcheck::cli::ReportFormat> {
    use clap::ValueEnum;
    let args: Vec<String> = std::env::args().collect();
    let value = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--format=").map(String::from).or_else(|| {
            (a == "--format")
                .then(|| args.get(i + 1).cloned())
                .flatten()
        })
    })?;
    poolcheck::cli::ReportFormat::from_str(&value, true).ok()
}
