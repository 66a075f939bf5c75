//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` reports only
//! the ones that are new. A finding is recognised by its fingerprint: rule, file (relative to
//! the baseline's folder), the key its value sits under, service and server. The line is left
//! out so that adding or moving lines elsewhere does not make old findings look new, and the
//! value is left out so that tuning a value that is still wrong does not either. Identical
//! fingerprints are counted: two findings under one key need two entries.

use crate::core::finding::Finding;
use crate::core::source::SourceSet;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped when fingerprints change meaning, so an old file is refused instead of misread.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    pub code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    poolcheck_baseline: u32,
    findings: Vec<Fingerprint>,
}

/// The key a line assigns: the text before its first `=` or `:`, as far as it looks like a
/// key name. Never the value, so no secret can reach the baseline file.
fn key_of(line: &str) -> String {
    let l = line.trim_start();
    let l = l.strip_prefix("export ").unwrap_or(l);
    let l = l.strip_prefix("- ").unwrap_or(l);
    let Some(end) = l.find(['=', ':']) else {
        return String::new();
    };
    let key = l[..end].trim().trim_matches(['"', '\'']);
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-[]".contains(c))
    {
        key.to_string()
    } else {
        String::new()
    }
}

/// `path` relative to `base`, with `/` separators; the path as given when it is not below.
fn relative(path: &Path, base: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let p = abs(path);
    let rel = p
        .strip_prefix(abs(base))
        .map(Path::to_path_buf)
        .unwrap_or(p);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

pub fn fingerprint(f: &Finding, sources: &SourceSet, base: &Path) -> Fingerprint {
    let (file, key) = match &f.primary {
        Some(l) => {
            let src = sources.get(l.file);
            let line = src.line_col(l.span.start).0;
            (relative(&src.path, base), key_of(src.line_text(line)))
        }
        None => (String::new(), String::new()),
    };
    Fingerprint {
        code: f.code.as_str().to_string(),
        file,
        key,
        service: f.service.clone().unwrap_or_default(),
        server: f.server.clone().unwrap_or_default(),
    }
}

/// The folder fingerprints are relative to.
fn base_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes the findings' fingerprints to `path`, sorted so the file diffs cleanly.
pub fn write(path: &Path, findings: &[Finding], sources: &SourceSet) -> Result<usize, String> {
    let base = base_of(path);
    let mut prints: Vec<Fingerprint> = findings
        .iter()
        .map(|f| fingerprint(f, sources, &base))
        .collect();
    prints.sort();
    let n = prints.len();
    let text = serde_json::to_string_pretty(&File {
        poolcheck_baseline: VERSION,
        findings: prints,
    })
    .map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(n)
}

/// What a baseline did to a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Findings dropped because the baseline has them.
    pub known: usize,
    /// Baseline entries no finding matched (fixed since, or changed past recognition).
    pub stale: usize,
}

/// Reads `path` and drops the findings it records. Err is (what is wrong, what to do).
pub fn filter(
    path: &Path,
    findings: &mut Vec<Finding>,
    sources: &SourceSet,
) -> Result<Outcome, (String, String)> {
    let shown = crate::core::source::display_path(path);
    let text = std::fs::read_to_string(path).map_err(|e| {
        (
            format!("cannot read baseline {shown}: {e}"),
            "write one with --write-baseline FILE first".to_string(),
        )
    })?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        (
            format!("{shown} is not a poolcheck baseline: {e}"),
            "write it again with --write-baseline FILE".to_string(),
        )
    })?;
    if file.poolcheck_baseline != VERSION {
        return Err((
            format!(
                "{shown} is a version {} baseline; this poolcheck reads version {VERSION}",
                file.poolcheck_baseline
            ),
            "write it again with --write-baseline FILE".to_string(),
        ));
    }
    let base = base_of(path);
    let mut left = file.findings;
    let before = findings.len();
    findings.retain(|f| {
        let print = fingerprint(f, sources, &base);
        match left.iter().position(|p| *p == print) {
            Some(i) => {
                left.swap_remove(i);
                false
            }
            None => true,
        }
    });
    Ok(Outcome {
        known: before - findings.len(),
        stale: left.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn keys_are_names_never_values() {
        assert_eq!(key_of("DB_POOL_SIZE=50"), "DB_POOL_SIZE");
        assert_eq!(key_of("export DB_POOL_SIZE=50"), "DB_POOL_SIZE");
        assert_eq!(key_of("    maximum-pool-size: 50"), "maximum-pool-size");
        assert_eq!(key_of("pool_size = 10"), "pool_size");
        assert_eq!(key_of("\"max\": 20,"), "max");
        assert_eq!(key_of("hunter2"), "");
        assert_eq!(key_of("a b c=1"), "");
    }
}
