//! Which `.env*` files of a directory one environment loads, as the dotenv ecosystems define
//! it, so a directory never merges the files of different environments into one service.
//!
//! dotenv-flow (<https://github.com/kerimdzhanov/dotenv-flow#files-under-version-control>),
//! Next.js (<https://nextjs.org/docs/app/guides/environment-variables#environment-variable-load-order>)
//! and dotenv-rails (<https://github.com/bkeepers/dotenv#customizing-rails>) agree: for
//! environment E the files are, lowest priority first, `.env`, `.env.E`, `.env.local`,
//! `.env.E.local`, and `.env.local` is not loaded for `test`. (Vite puts `.env.E` above
//! `.env.local`, <https://vite.dev/guide/env-and-mode#env-files>; the two differ only when both
//! set the same key.) Files such as `.env.example` document variables and are loaded by no
//! environment.

use crate::input::discover::{Input, Kind};
use crate::input::environment;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A file a directory holds but the run did not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// What an env file's name says about when it is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    /// `.env`: every environment, lowest priority.
    Base,
    /// `.env.E`.
    Env(String),
    /// `.env.local`: every environment but test.
    Local,
    /// `.env.E.local`: highest priority.
    EnvLocal(String),
    /// `.env.example` and friends: never loaded.
    Template,
}

/// Suffixes of files that document variables rather than set them.
const TEMPLATES: &[&str] = &["example", "sample", "template", "dist", "defaults", "tpl"];

/// Whether an env file's name says it documents variables (`.env.example`), so no
/// environment loads it.
pub fn is_template(name: &str) -> bool {
    role(name) == Some(Role::Template)
}

fn role(name: &str) -> Option<Role> {
    if name == ".env" {
        return Some(Role::Base);
    }
    if let Some(rest) = name.strip_prefix(".env.") {
        let parts: Vec<&str> = rest.split('.').collect();
        return Some(match parts.as_slice() {
            ["local"] => Role::Local,
            [t, ..] if TEMPLATES.contains(t) => Role::Template,
            [.., t] if TEMPLATES.contains(t) => Role::Template,
            [e, "local"] => Role::EnvLocal((*e).to_string()),
            [e] => Role::Env((*e).to_string()),
            _ => return None,
        });
    }
    // `production.env` names an environment; `db.env` (a compose env_file) does not.
    let stem = name.strip_suffix(".env")?;
    if TEMPLATES.contains(&stem) {
        return Some(Role::Template);
    }
    environment::known(stem).then(|| Role::Env(stem.to_string()))
}

/// Priority of a role for `env` (higher wins; None: not loaded), with why not when skipped.
fn rank(role: &Role, env: &str) -> Result<u8, String> {
    let env_word = environment::canonical(env);
    match role {
        Role::Base => Ok(0),
        Role::Env(e) if environment::same(e, env) => Ok(1),
        Role::Local if env_word == "test" => {
            Err("`.env.local` is not loaded for test (dotenv-flow, Next.js, Rails)".into())
        }
        Role::Local => Ok(2),
        Role::EnvLocal(e) if environment::same(e, env) => Ok(3),
        Role::Env(e) | Role::EnvLocal(e) => Err(format!(
            "environment {}, not {env_word} (--env {} checks it)",
            environment::canonical(e),
            e
        )),
        Role::Template => {
            Err("an example file that documents variables; no environment loads it".into())
        }
    }
}

/// Keeps, of the env files a directory walk found, those `env` loads, in load order (later
/// wins), and lists the others. Files named on the command line or in poolcheck.toml
/// (`explicit`) are always read, in the order given.
pub fn select(
    inputs: Vec<Input>,
    explicit: &HashSet<PathBuf>,
    env: &str,
) -> (Vec<Input>, Vec<Skipped>) {
    let mut kept: Vec<(usize, u8, Input)> = Vec::new();
    let mut skipped = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let Input::File(path, Kind::Env) = &input else {
            kept.push((i, 0, input));
            continue;
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match role(name).filter(|_| !explicit.contains(path)) {
            None => kept.push((i, 0, input)),
            Some(r) => match rank(&r, env) {
                Ok(rank) => kept.push((i, rank, input)),
                Err(reason) => skipped.push(Skipped {
                    file: crate::core::source::display_path(path),
                    reason,
                }),
            },
        }
    }
    // Within one directory the env files load in priority order; everything else keeps its
    // place (a stable sort on (directory, rank) among the env files only).
    let mut env_slots: Vec<usize> = Vec::new();
    let mut env_files: Vec<(PathBuf, u8, usize, Input)> = Vec::new();
    for (slot, (i, rank, input)) in kept.iter().enumerate() {
        if let Input::File(p, Kind::Env) = input {
            if !explicit.contains(p) {
                env_slots.push(slot);
                let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
                env_files.push((dir, *rank, *i, input.clone()));
            }
        }
    }
    env_files.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    let mut out: Vec<Input> = kept.into_iter().map(|(_, _, input)| input).collect();
    for (slot, (_, _, _, input)) in env_slots.into_iter().zip(env_files) {
        out[slot] = input;
    }
    (out, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(inputs: &[Input]) -> Vec<String> {
        inputs
            .iter()
            .map(|i| match i {
                Input::File(p, _) => p.file_name().unwrap().to_string_lossy().into_owned(),
                _ => "?".into(),
            })
            .collect()
    }

    fn env_inputs(names: &[&str]) -> Vec<Input> {
        names
            .iter()
            .map(|n| Input::File(PathBuf::from("app").join(n), Kind::Env))
            .collect()
    }

    #[test]
    fn production_loads_its_files_in_priority_order() {
        let all = env_inputs(&[
            ".env",
            ".env.development",
            ".env.local",
            ".env.production",
            ".env.production.local",
            ".env.test",
            ".env.example",
        ]);
        let (kept, skipped) = select(all, &HashSet::new(), "production");
        assert_eq!(
            names(&kept),
            [
                ".env",
                ".env.production",
                ".env.local",
                ".env.production.local"
            ]
        );
        let why: Vec<_> = skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(why.len(), 3);
        assert!(why[0].starts_with("environment development, not production"));
        assert!(why[1].starts_with("environment test"));
        assert!(why[2].starts_with("an example file"));
    }

    #[test]
    fn test_skips_env_local_and_prod_is_production() {
        let (kept, skipped) = select(
            env_inputs(&[".env", ".env.local", ".env.test", ".env.prod"]),
            &HashSet::new(),
            "test",
        );
        assert_eq!(names(&kept), [".env", ".env.test"]);
        assert_eq!(skipped.len(), 2);
        let (kept, _) = select(
            env_inputs(&[".env.prod", ".env"]),
            &HashSet::new(),
            "production",
        );
        assert_eq!(names(&kept), [".env", ".env.prod"]);
    }

    #[test]
    fn named_files_are_read_as_given() {
        let all = env_inputs(&[".env.test", ".env"]);
        let explicit: HashSet<PathBuf> = [PathBuf::from("app/.env.test")].into();
        let (kept, skipped) = select(all, &explicit, "production");
        assert_eq!(names(&kept), [".env.test", ".env"]);
        assert!(skipped.is_empty());
    }

    #[test]
    fn compose_style_names_belong_to_their_environment() {
        assert_eq!(role("production.env"), Some(Role::Env("production".into())));
        assert_eq!(role("prod.env"), Some(Role::Env("prod".into())));
        assert_eq!(role("db.env"), None);
        assert_eq!(
            role(".env.staging.local"),
            Some(Role::EnvLocal("staging".into()))
        );
        assert_eq!(role(".env.example.local"), Some(Role::Template));
    }
}
