//! .NET's appsettings files: `appsettings.json`, then `appsettings.{Environment}.json` of the
//! environment the host runs in (ASPNETCORE_ENVIRONMENT / DOTNET_ENVIRONMENT, Production when
//! unset), the later overriding the earlier
//! (<https://learn.microsoft.com/aspnet/core/fundamentals/configuration/#default-application-configuration-sources>).
//! A directory holding Development and Production files must not merge them, nor let the
//! base file (which sorts last by name) override the environment's.

use crate::input::discover::Input;
use crate::input::envfiles::Skipped;
use crate::input::environment;
use std::collections::HashSet;
use std::path::PathBuf;

/// `appsettings.Production.json` → Some("Production"); `appsettings.json` → Some("").
fn environment_of(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".json")?;
    let rest = stem.strip_prefix("appsettings")?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix('.').filter(|e| !e.is_empty())
}

/// Keeps the base files and those of `env` (compared ignoring case and the usual short names:
/// `--env prod` selects appsettings.Production.json), base first; lists the others. Files
/// named on the command line or in poolcheck.toml are read as given.
pub fn select(
    inputs: Vec<Input>,
    explicit: &HashSet<PathBuf>,
    env: &str,
) -> (Vec<Input>, Vec<Skipped>) {
    let wanted = environment::canonical(env).to_ascii_lowercase();
    let mut out = Vec::new();
    let mut specific = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        let Input::File(path, _) = &input else {
            out.push(input);
            continue;
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match environment_of(name) {
            Some(e) if !e.is_empty() && !explicit.contains(path) => {
                let lower = e.to_ascii_lowercase();
                if environment::canonical(&lower) == wanted {
                    specific.push(input);
                } else {
                    skipped.push(Skipped {
                        file: crate::core::source::display_path(path),
                        reason: format!(
                            "settings for the .NET environment {e}, not {env} (--env {} reads it)",
                            lower
                        ),
                    });
                }
            }
            _ => out.push(input),
        }
    }
    out.extend(specific);
    (out, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::discover::Kind;
    use crate::input::formats::json::Flavor;

    #[test]
    fn environment_file_after_base_and_others_skipped() {
        let f = |n: &str| Input::File(PathBuf::from(n), Kind::Json(Flavor::Json));
        let inputs = vec![
            f("api/appsettings.Development.json"),
            f("api/appsettings.Production.json"),
            f("api/appsettings.json"),
        ];
        let (kept, skipped) = select(inputs, &HashSet::new(), "prod");
        assert_eq!(
            kept,
            vec![
                f("api/appsettings.json"),
                f("api/appsettings.Production.json")
            ]
        );
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].file.ends_with("appsettings.Development.json"));
    }
}
