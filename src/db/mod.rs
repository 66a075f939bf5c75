//! The engine seam: the code that talks to live servers, one folder per engine. The kinds of
//! engine and their documented reserve and limit semantics are [`Engine`] (in `core`), so the
//! model's servers carry one and rules never assume PostgreSQL.

pub mod failure;
pub mod mysql;
pub mod pgbouncer;
pub mod postgres;
pub mod redis;

pub use crate::core::engine::Engine;
pub use failure::{ConnectFailure, FailureKind};
