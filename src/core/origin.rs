//! Where every number comes from, and the one precedence table that decides between sources.
//!
//! Each value of the model is a [`Sourced`]: the value and its [`Origin`]. When several inputs
//! give the same concept (a pool size in `.env` and in `--set`, a max_connections in
//! poolcheck.toml and from a probe), [`choose`] keeps the one from the highest [`Layer`].

use crate::core::source::{FileId, Span};

/// The precedence table, highest first. Every concept of the model is chosen through it.
///
/// | layer | example |
/// | --- | --- |
/// | `--set` | `--set DB_POOL_SIZE=20`, `--set server.main.max_connections=200` |
/// | flag | `--max-connections 200`, `--reserved 5`, `--replicas 3` |
/// | probe | `--probe URL`, `probe = "…"` in poolcheck.toml |
/// | environment | `[env.prod]` in poolcheck.toml |
/// | poolcheck.toml | `[servers.main] max_connections = 100` |
/// | deployed files | `.env`, values.yaml, manifests, app configs |
/// | default | a library's documented default, or poolcheck's stated assumption |
///
/// Explicit beats implicit: what the user typed for this run beats what a live server says,
/// which beats what the repository says, which beats what libraries do when nothing is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Set,
    Flag,
    Probe,
    Environment,
    Config,
    Files,
    Default,
}

impl Layer {
    /// Every layer in precedence order (highest first).
    pub const ORDER: [Layer; 7] = [
        Layer::Set,
        Layer::Flag,
        Layer::Probe,
        Layer::Environment,
        Layer::Config,
        Layer::Files,
        Layer::Default,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Set => "--set",
            Layer::Flag => "command-line flag",
            Layer::Probe => "live probe",
            Layer::Environment => "poolcheck.toml [env.NAME]",
            Layer::Config => "poolcheck.toml",
            Layer::Files => "deployed files",
            Layer::Default => "default",
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A key in a linted file or in poolcheck.toml; `layer` says which.
    File {
        file: FileId,
        span: Span,
        layer: Layer,
    },
    /// Absent from the files; the library's or the server's documented default applies.
    Default { note: String },
    /// A command-line flag such as `--max-connections`.
    Flag { flag: String },
    /// Read from a live server.
    Probe { what: String },
    /// A `--set` override.
    Set { key: String },
    /// Computed from other values (e.g. 25% surge of 3 replicas), ranked as its inputs.
    Derived { note: String, layer: Layer },
    /// poolcheck's own stated assumption where nothing says otherwise.
    Assumed { note: String },
}

impl Origin {
    /// A value in one of the deployed files.
    pub fn file(file: FileId, span: Span) -> Origin {
        Origin::File {
            file,
            span,
            layer: Layer::Files,
        }
    }

    pub fn location(&self) -> Option<(FileId, Span)> {
        match self {
            Origin::File { file, span, .. } => Some((*file, *span)),
            _ => None,
        }
    }

    /// The precedence layer this origin belongs to.
    pub fn layer(&self) -> Layer {
        match self {
            Origin::File { layer, .. } | Origin::Derived { layer, .. } => *layer,
            Origin::Default { .. } | Origin::Assumed { .. } => Layer::Default,
            Origin::Flag { .. } => Layer::Flag,
            Origin::Probe { .. } => Layer::Probe,
            Origin::Set { .. } => Layer::Set,
        }
    }

    /// Worth saying beside a figure even when nothing went wrong: a live reading, a `--set`,
    /// or a flag that replaced what the repository says.
    pub fn is_notable(&self) -> bool {
        match self {
            Origin::Probe { .. } | Origin::Set { .. } => true,
            Origin::Flag { flag } => flag.contains(", over "),
            _ => false,
        }
    }

    /// A phrase for values that do not come from a file ("HikariCP default: …", "--replicas").
    pub fn describe(&self) -> String {
        match self {
            Origin::File { layer, .. } => format!("from {}", layer.name()),
            Origin::Default { note } | Origin::Assumed { note } | Origin::Derived { note, .. } => {
                note.clone()
            }
            Origin::Flag { flag } => format!("from {flag}"),
            Origin::Probe { what } => format!("from the live server ({what})"),
            Origin::Set { key } => format!("from --set {key}"),
        }
    }
}

/// A value with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Sourced { value, origin }
    }

    pub fn layer(&self) -> Layer {
        self.origin.layer()
    }
}

/// The candidate from the highest layer; among candidates of one layer, the last one given
/// (a later file, a later `--set`) wins.
pub fn choose<T>(candidates: impl IntoIterator<Item = Option<Sourced<T>>>) -> Option<Sourced<T>> {
    let mut best: Option<Sourced<T>> = None;
    for c in candidates.into_iter().flatten() {
        match &best {
            Some(b) if b.layer() < c.layer() => {}
            _ => best = Some(c),
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: u32, o: Origin) -> Option<Sourced<u32>> {
        Some(Sourced::new(n, o))
    }

    #[test]
    fn the_highest_layer_wins_whatever_the_order() {
        let file = Origin::file(0, Span::new(0, 1));
        let flag = Origin::Flag {
            flag: "--max-connections 500".into(),
        };
        let config = Origin::File {
            file: 1,
            span: Span::new(0, 1),
            layer: Layer::Config,
        };
        let got = choose([v(1, file.clone()), v(2, flag.clone()), v(3, config.clone())]).unwrap();
        assert_eq!((got.value, got.layer()), (2, Layer::Flag));
        let got = choose([v(3, config), v(1, file), None]).unwrap();
        assert_eq!((got.value, got.layer()), (3, Layer::Config));
        let set = Origin::Set { key: "K=9".into() };
        let probe = Origin::Probe { what: "x".into() };
        let got = choose([v(9, set), v(4, probe), v(2, flag)]).unwrap();
        assert_eq!(got.value, 9);
    }

    #[test]
    fn later_wins_within_a_layer_and_nothing_gives_none() {
        let a = Origin::file(0, Span::new(0, 1));
        let b = Origin::file(1, Span::new(0, 1));
        assert_eq!(choose([v(1, a), v(2, b)]).unwrap().value, 2);
        assert!(choose::<u32>([None, None]).is_none());
    }

    #[test]
    fn order_matches_the_declared_table() {
        let mut sorted = Layer::ORDER;
        sorted.sort();
        assert_eq!(sorted, Layer::ORDER);
    }
}
