//! Parsers for the formats teams deploy. Every key and value keeps its file and byte span.
//!
//! - `env`: .env files, a line model of our own (positions and raw text kept).
//! - `toml`, `yaml`: a common span-carrying tree, [`Node`].
//! - `url`: database connection URLs found inside any value.
//! - `ini` (INI and flat conf), `properties`, `json` (JSON, JSON5, HJSON): the same tree.
//! - `adonet`: ADO.NET connection strings found inside any value.
//! - `odyssey`: Odyssey's odyssey.conf (statements and `{ }` blocks), its own statement tree.
//!
//! A syntax error is a [`ParseError`] located in its file; the caller turns it into a finding and
//! goes on with the other files.

pub mod adonet;
pub mod compose;
pub mod env;
pub mod erb;
pub mod ini;
pub mod json;
pub mod k8s;
pub mod odyssey;
pub mod pgbouncer;
pub mod properties;
pub mod toml;
pub mod url;
pub mod yaml;

use crate::core::source::{FileId, Span};

/// How deep maps and lists may nest in any parsed file. Real configuration nests a few
/// levels; 10,000 nested `[` must be a located error, not a stack overflow in a parser or in a
/// walk over the tree.
pub const MAX_NESTING: usize = 128;

/// A located syntax error in a linted file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub file: FileId,
    pub span: Span,
    /// What is wrong, e.g. "unterminated double-quoted value".
    pub message: String,
    /// What to do instead.
    pub help: Option<String>,
}

/// A scalar as the file wrote it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Scalar {
    /// The scalar as text, as an application reading it from the environment would see it.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.clone()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Null => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in document order; keys are unique (later duplicates replace earlier ones).
    Map(Vec<Entry>),
}

/// A value in a TOML or YAML document, with the span of the value itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }
}
