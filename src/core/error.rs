//! Errors that end a command with exit code 2 (usage or tool error, never a finding).

use miette::Diagnostic;
use thiserror::Error;

/// A usage or tool error: bad flags, unreadable path, invalid poolcheck.toml, unreachable server.
/// Rendered by `run` through miette and mapped to exit code 2.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
pub struct ToolError {
    pub message: String,
    #[help]
    pub help: Option<String>,
    /// Further errors found in the same pass (every mistake of a poolcheck.toml at once, so
    /// a user fixes them in one edit instead of one run per typo).
    #[related]
    pub others: Vec<ToolError>,
}

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        ToolError {
            message: message.into(),
            help: None,
            others: Vec::new(),
        }
    }

    /// One error carrying all of `errors` (the first leads, the rest follow in order).
    /// None when there are none.
    pub fn many(errors: Vec<ToolError>) -> Option<ToolError> {
        let mut it = errors.into_iter();
        let mut first = it.next()?;
        first.others.extend(it);
        Some(first)
    }

    /// This error and the ones that came with it, in order.
    pub fn all(&self) -> impl Iterator<Item = &ToolError> {
        std::iter::once(self).chain(self.others.iter())
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

pub type ToolResult<T> = Result<T, ToolError>;

/// Process exit statuses shared by every command.
pub mod exit {
    /// Nothing at or above --fail-on.
    pub const CLEAN: u8 = 0;
    /// Findings at or above --fail-on (or a live check that failed its verdict).
    pub const FINDINGS: u8 = 1;
    /// Usage or tool error.
    pub const ERROR: u8 = 2;
}
