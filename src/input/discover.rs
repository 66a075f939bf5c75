//! Which files to read: expand directories, recognise Helm charts, classify by format.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Env,
    Toml,
    Yaml,
}

/// A file to lint, or a Helm chart directory with the values files applied over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf, Kind),
    Chart { dir: PathBuf, values: Vec<PathBuf> },
}

/// The format of a file by its name; None for files poolcheck does not read.
pub fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name == crate::input::config::FILE_NAME || name == "Cargo.toml" || name == "Chart.yaml" {
        return None;
    }
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return Some(Kind::Env);
    }
    match path.extension()?.to_str()? {
        "toml" => Some(Kind::Toml),
        "yaml" | "yml" => Some(Kind::Yaml),
        _ => None,
    }
}

pub fn is_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

/// Expands the user's paths: a chart directory is one input (its values.yaml plus `values`);
/// another directory contributes the files it holds (recursively, skipping hidden directories,
/// `target`, `node_modules` and chart `templates/`); a file is taken as given.
pub fn expand(paths: &[PathBuf], values: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
        if p.is_dir() {
            walk(p, values, &mut out).map_err(|e| format!("{}: {e}", p.display()))?;
        } else {
            let kind = kind_of(p).or_else(|| sniff(p)).ok_or_else(|| {
                format!(
                    "{}: not a file poolcheck reads (.env*, *.toml, *.yaml, *.yml, or a chart directory)",
                    p.display()
                )
            })?;
            out.push(Input::File(p.clone(), kind));
        }
    }
    if !values.is_empty() && !out.iter().any(|i| matches!(i, Input::Chart { .. })) {
        // -f without a chart: the values files are linted as a chart without defaults.
        out.push(Input::Chart {
            dir: PathBuf::new(),
            values: values.to_vec(),
        });
    }
    Ok(out)
}

/// A file named explicitly whose name says nothing (e.g. `prod.env.txt`): assume dotenv.
fn sniff(p: &Path) -> Option<Kind> {
    p.file_name()?
        .to_str()?
        .contains("env")
        .then_some(Kind::Env)
}

fn walk(dir: &Path, values: &[PathBuf], out: &mut Vec<Input>) -> std::io::Result<()> {
    if is_chart(dir) {
        out.push(Input::Chart {
            dir: dir.to_path_buf(),
            values: values.to_vec(),
        });
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if name.starts_with('.') || matches!(name, "target" | "node_modules" | "templates") {
                continue;
            }
            walk(&p, values, out)?;
        } else if let Some(kind) = kind_of(&p) {
            out.push(Input::File(p, kind));
        }
    }
    Ok(())
}
