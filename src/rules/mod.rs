//! Rules: one module of logic per rule, metadata in rules/*.toml (see [`catalog`]). Rules read
//! the model and the capacity figures, never raw text, and carry the model's origins into
//! their findings.

mod advisory_locks_behind_pooler;
mod ambiguous_stack;
mod app_pool_above_pooler_pool;
mod common;
mod competing_pool_settings;
mod database_not_in_pooler;
mod duplicate_env_key;
mod fleet_exceeds_server_slots;
mod host_cpu_default_pool;
mod infinite_acquire_timeout;
mod listen_behind_pooler;
mod no_pool_configuration;
mod pool_min_above_max;
mod pool_outlives_server_idle_close;
mod pool_size_unknown;
mod pool_unstable_for_workload;
mod pooler_client_limit_exceeded;
mod pooler_processes_unknown;
mod pooler_server_pools_exceed_server_slots;
mod pooler_timeout_undercuts_app;
mod prepared_statements_behind_pgbouncer;
mod replica_is_primary;
mod role_connection_limit_exceeded;
mod rollout_exceeds_server_slots;
mod server_kills_idle_connections;
mod server_limits_unknown;
mod server_near_full;
mod session_settings_behind_pooler;
mod thin_headroom;
mod transactions_in_statement_mode;
mod unbounded_pool;
mod unbounded_pooler_pool;
mod unit_magnitude_mismatch;

use crate::core::code::Code;
use crate::lint::{Check, Registry};

/// The rules poolcheck ships, for the engine to run.
pub const REGISTRY: Registry = Registry {
    checks: CHECKS,
    raised_by: RAISED_BY,
};

/// Every rule with logic, by code. PC001/PC002/PC005 are raised while reading files.
pub const CHECKS: &[(Code, Check)] = &[
    (Code::PC003, pool_size_unknown::check),
    (Code::PC004, server_limits_unknown::check),
    (Code::PC006, duplicate_env_key::check),
    (Code::PC007, competing_pool_settings::check),
    (Code::PC011, ambiguous_stack::check),
    (Code::PC012, no_pool_configuration::check),
    (Code::PC101, fleet_exceeds_server_slots::check),
    (Code::PC102, rollout_exceeds_server_slots::check),
    (Code::PC103, thin_headroom::check),
    (Code::PC104, unbounded_pool::check),
    (Code::PC105, host_cpu_default_pool::check),
    (Code::PC201, infinite_acquire_timeout::check),
    (Code::PC202, unit_magnitude_mismatch::check),
    (Code::PC203, pool_min_above_max::check),
    (Code::PC204, prepared_statements_behind_pgbouncer::check),
    (Code::PC205, pool_outlives_server_idle_close::check_mysql),
    (Code::PC206, pool_outlives_server_idle_close::check_redis),
    (Code::PC301, pool_unstable_for_workload::check),
    (Code::PC401, role_connection_limit_exceeded::check),
    (Code::PC402, role_connection_limit_exceeded::check_databases),
    (Code::PC403, server_near_full::check),
    (Code::PC404, server_kills_idle_connections::check),
    (Code::PC501, pooler_server_pools_exceed_server_slots::check),
    (Code::PC502, pooler_client_limit_exceeded::check),
    (Code::PC503, app_pool_above_pooler_pool::check),
    (Code::PC504, pooler_timeout_undercuts_app::check),
    (Code::PC505, replica_is_primary::check),
    (Code::PC506, database_not_in_pooler::check),
    (Code::PC507, advisory_locks_behind_pooler::check),
    (Code::PC508, session_settings_behind_pooler::check),
    (Code::PC509, listen_behind_pooler::check),
    (Code::PC510, transactions_in_statement_mode::check),
    (Code::PC511, unbounded_pooler_pool::check),
    (Code::PC512, pooler_processes_unknown::check),
];

/// Codes raised outside the CHECKS table (while reading input).
pub const INPUT_CODES: &[Code] = &[
    Code::PC001,
    Code::PC002,
    Code::PC005,
    Code::PC008,
    Code::PC009,
    Code::PC015,
];

/// Codes the engine raises about the run itself: PC010 (a suppression that matched nothing,
/// see `lint::suppress`).
pub const META_CODES: &[Code] = &[Code::PC010];

/// Codes a check raises besides its own (code, raised by): the workload check judges one queue
/// and reports whichever of unstable / target missed / oversized applies.
pub const RAISED_BY: &[(Code, Code)] = &[(Code::PC302, Code::PC301), (Code::PC303, Code::PC301)];
