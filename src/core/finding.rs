//! A finding: what a rule found, where, and what to do instead.

use crate::core::code::Code;
use crate::core::origin::Origin;
use crate::core::severity::Severity;
use crate::core::source::{FileId, Span};
use serde::Serialize;

/// A pointer into a file with a short message ("pool max 50", "max_connections 100").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: Code,
    /// Filled from the catalogue by the engine.
    pub name: &'static str,
    /// Filled from the catalogue (or a poolcheck.toml override) by the engine.
    pub severity: Severity,
    pub message: String,
    /// What to do instead, specific to this finding.
    pub help: String,
    /// The offending value. Findings about the fleet as a whole point at the pool size.
    pub primary: Option<Label>,
    /// Every other input the finding used, in any file.
    pub labels: Vec<Label>,
    /// Inputs that come from no file (defaults, flags, the probe), as sentences.
    pub notes: Vec<String>,
    pub service: Option<String>,
    pub server: Option<String>,
}

impl Finding {
    pub fn new(code: Code, message: impl Into<String>, help: impl Into<String>) -> Self {
        Finding {
            code,
            name: "",
            severity: Severity::Error,
            message: message.into(),
            help: help.into(),
            primary: None,
            labels: Vec::new(),
            notes: Vec::new(),
            service: None,
            server: None,
        }
    }

    pub fn at(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.primary = Some(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    /// Labels the value's origin: the primary label if the finding has none yet and the origin
    /// is in a file, another label if in a file, else a note.
    pub fn cite(mut self, origin: &Origin, message: impl Into<String>) -> Self {
        let message = message.into();
        match origin.location() {
            Some((file, span)) => {
                let label = Label {
                    file,
                    span,
                    message,
                };
                if self.primary.is_none() {
                    self.primary = Some(label);
                } else if !self.labels.contains(&label) && self.primary.as_ref() != Some(&label) {
                    self.labels.push(label);
                }
            }
            None => {
                let note = format!("{message} ({})", origin.describe());
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
            }
        }
        self
    }

    pub fn service(mut self, name: &str) -> Self {
        self.service = Some(name.to_string());
        self
    }

    pub fn server(mut self, name: &str) -> Self {
        self.server = Some(name.to_string());
        self
    }
}
