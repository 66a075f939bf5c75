//! TOML documents into span-carrying [`super::Node`] trees (filled in by the parser work).
