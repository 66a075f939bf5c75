use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything can print: every secret of the command line and environment is known
    // to the output scrubber.
    poolcheck::core::secrets::register_process_inputs();
    let cli = match poolcheck::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
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
