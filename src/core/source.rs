//! Source files as read from disk: text plus a line index, so any byte span maps to line:column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceSet`].
pub type FileId = usize;

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The path as shown to users (relative to the working directory when possible).
    pub display: String,
    pub text: Arc<str>,
    /// The text as it may be shown: secrets masked and control characters made visible, byte
    /// for byte the same length as `text` so every span still points at the same place.
    pub shown: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(
        path: impl Into<PathBuf>,
        display: impl Into<String>,
        text: impl Into<Arc<str>>,
    ) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let secrets = crate::core::secrets::secret_ranges(&text);
        crate::core::secrets::register_ranges(&text, &secrets);
        let shown = visible(&crate::core::secrets::mask_ranges(&text, &secrets)).into();
        SourceFile {
            path: path.into(),
            display: crate::core::secrets::escape_controls(&display.into()),
            text,
            shown,
            line_starts,
        }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset. Offsets past the end
    /// clamp to the end; offsets inside a UTF-8 sequence count the partial character.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text[start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count()
            + 1;
        (line + 1, col)
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Control characters (terminal escapes, BEL, NUL…) replaced by `?`, one byte for one byte, so
/// a snippet can never drive the terminal; tabs and line ends stay.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\r' | '\t') && c.len_utf8() == 1 {
                '?'
            } else if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                // C1 controls take two bytes in UTF-8: two visible bytes keep the spans.
                '\u{00bf}'
            } else {
                c
            }
        })
        .collect()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file a run reads, addressed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceSet {
    files: Vec<SourceFile>,
    by_path: std::collections::HashMap<PathBuf, FileId>,
}

impl SourceSet {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        if let Some(i) = self.by_path.get(&file.path) {
            return *i;
        }
        let id = self.files.len();
        self.by_path.insert(file.path.clone(), id);
        self.files.push(file);
        id
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate()
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The path as users should see it: relative to the working directory when below it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.clone().unwrap_or_default().join(path)
    };
    if let Some(cwd) = cwd {
        if let Ok(rel) = abs.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_maps_offsets() {
        let f = SourceFile::new("a", "a", "ab\ncdé\nx");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 3));
        assert_eq!(f.line_col(7), (2, 4)); // after é (2 bytes)
        assert_eq!(f.line_col(8), (3, 1));
        assert_eq!(f.line_text(2), "cdé");
        assert_eq!(f.line_col(999), (3, 2));
    }
}
