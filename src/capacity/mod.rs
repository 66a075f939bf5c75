//! Capacity math: fleet demand against server slots, and queueing (Little's law, Erlang C).

pub mod erlang;
pub mod fleet;
pub mod pooler;
pub mod search;
pub mod service;
