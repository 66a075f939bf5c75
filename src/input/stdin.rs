//! `-` among the paths: standard input, so `helm template … | poolcheck verify -` checks exactly
//! what is deployed. `--stdin-filename NAME` names it in messages and decides its format by
//! the name, as for a file; without it the text is read as YAML (a manifest, as `helm
//! template` and `kubectl kustomize` print).

use crate::core::error::{ToolError, ToolResult};
use crate::core::source::{SourceFile, SourceSet};
use crate::input::discover::{self, Input, Kind};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How standard input is named in messages without `--stdin-filename`.
pub const DEFAULT_NAME: &str = "<stdin>";

/// The paths without `-`, and standard input as an input (its text already in `sources`)
/// when `-` was among them. At most `cap` bytes are read.
pub fn take(
    paths: &[PathBuf],
    name: Option<&str>,
    sources: &mut SourceSet,
    cap: u64,
) -> ToolResult<(Vec<PathBuf>, Option<Input>)> {
    let dash = |p: &PathBuf| p.as_os_str() == "-";
    let rest: Vec<PathBuf> = paths.iter().filter(|p| !dash(p)).cloned().collect();
    match paths.iter().filter(|p| dash(p)).count() {
        0 => return Ok((rest, None)),
        1 => {}
        _ => {
            return Err(
                ToolError::new("`-` (standard input) is given more than once")
                    .with_help("name `-` once; standard input can be read only once"),
            )
        }
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ToolError::new(format!("cannot read standard input: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(ToolError::new(format!(
            "standard input is larger than {}",
            crate::input::read::size_words(cap)
        ))
        .with_help("pipe a smaller input, or raise the limit with --max-file-size BYTES"));
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let shown = name.unwrap_or(DEFAULT_NAME);
    let path = PathBuf::from(shown);
    let kind = discover::kind_of(&path).unwrap_or(Kind::Yaml);
    sources.add(SourceFile::new(path.clone(), shown, text));
    Ok((rest, Some(Input::File(path, kind))))
}

/// The service name standard input stands for: its file name's stem, or `stdin`.
pub fn service_name(name: Option<&str>) -> String {
    name.and_then(|n| Path::new(n).file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty() && !s.starts_with('.'))
        .unwrap_or_else(|| "stdin".into())
}
