//! STUB (replaced by the parse branch).
use super::ParseError;
use crate::source::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
    Backtick,
}

#[derive(Debug, Clone)]
pub struct EnvEntry {
    pub key: String,
    pub key_span: Span,
    pub value: Option<String>,
    pub value_span: Span,
    pub raw_span: Span,
    pub quote: Quote,
    pub exported: bool,
    pub line: usize,
    pub refs: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EnvFile {
    pub file: FileId,
    pub entries: Vec<EnvEntry>,
    pub errors: Vec<ParseError>,
}

impl EnvFile {
    pub fn get(&self, key: &str) -> Option<&EnvEntry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }
}

pub fn parse(file: FileId, text: &str) -> EnvFile {
    let mut entries = Vec::new();
    let mut off = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let l = line.trim_end_matches(['\n', '\r']);
        if let Some(eq) = l.find('=') {
            if !l.trim_start().starts_with('#') {
                let key = l[..eq].trim().trim_start_matches("export ").to_string();
                let v = &l[eq + 1..];
                entries.push(EnvEntry {
                    key,
                    key_span: Span::new(off, off + eq),
                    value: if v.is_empty() {
                        None
                    } else {
                        Some(v.to_string())
                    },
                    value_span: Span::new(off + eq + 1, off + l.len()),
                    raw_span: Span::new(off + eq + 1, off + l.len()),
                    quote: Quote::None,
                    exported: false,
                    line: i + 1,
                    refs: vec![],
                });
            }
        }
        off += line.len();
    }
    EnvFile {
        file,
        entries,
        errors: vec![],
    }
}

pub fn resolve(_files: &mut [EnvFile]) {}
