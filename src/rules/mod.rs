//! Rules: one module of logic per rule, metadata in rules/*.toml (see [`catalog`]). Rules read
//! the model and the capacity figures, never raw text, and carry the model's origins into
//! their findings.

pub mod catalog;

mod fleet_exceeds_server_slots;
mod host_cpu_default_pool;
mod infinite_acquire_timeout;
mod pool_min_above_max;
mod pool_size_unknown;
mod pool_unstable_for_workload;
mod prepared_statements_behind_pgbouncer;
mod role_connection_limit_exceeded;
mod rollout_exceeds_server_slots;
mod server_kills_idle_connections;
mod server_limits_unknown;
mod server_near_full;
mod thin_headroom;
mod unbounded_pool;
mod unit_magnitude_mismatch;

use crate::capacity::fleet::ServerCapacity;
use crate::cli::Severity;
use crate::finding::Finding;
use crate::model::{Fleet, Service};
use std::collections::BTreeMap;

/// A rule's logic: the findings it raises for a fleet.
pub type Check = fn(&Context<'_>) -> Vec<Finding>;

/// Every rule with logic, by code. PC001/PC002 are raised while reading files.
pub const CHECKS: &[(&str, Check)] = &[
    ("PC003", pool_size_unknown::check),
    ("PC004", server_limits_unknown::check),
    ("PC101", fleet_exceeds_server_slots::check),
    ("PC102", rollout_exceeds_server_slots::check),
    ("PC103", thin_headroom::check),
    ("PC104", unbounded_pool::check),
    ("PC105", host_cpu_default_pool::check),
    ("PC201", infinite_acquire_timeout::check),
    ("PC202", unit_magnitude_mismatch::check),
    ("PC203", pool_min_above_max::check),
    ("PC204", prepared_statements_behind_pgbouncer::check),
    ("PC301", pool_unstable_for_workload::check),
    ("PC401", role_connection_limit_exceeded::check),
    ("PC402", role_connection_limit_exceeded::check_databases),
    ("PC403", server_near_full::check),
    ("PC404", server_kills_idle_connections::check),
];

/// Codes raised outside the CHECKS table (while reading input).
pub const INPUT_CODES: &[&str] = &["PC001", "PC002"];

/// Codes a check raises besides its own (code, raised by): the workload check judges one queue
/// and reports whichever of unstable / target missed / oversized applies.
pub const RAISED_BY: &[(&str, &str)] = &[("PC302", "PC301"), ("PC303", "PC301")];

/// Per-rule settings from poolcheck.toml: severity overrides ("off" disables) and parameters.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub severity: BTreeMap<String, Option<Severity>>,
    pub params: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Settings {
    /// From poolcheck.toml `[rules.X]` tables, where X is a code or a name.
    pub fn from_config(
        rules: &BTreeMap<String, crate::config::RuleCfg>,
    ) -> Result<Settings, String> {
        let mut s = Settings::default();
        for (key, cfg) in rules {
            let meta = catalog::find(key).ok_or_else(|| {
                format!("[rules.{key}]: no rule has this code or name (run `poolcheck rule` for the list)")
            })?;
            if let Some(sev) = &cfg.severity {
                let v = match sev.as_str() {
                    "off" => None,
                    "info" => Some(Severity::Info),
                    "warning" => Some(Severity::Warning),
                    "error" => Some(Severity::Error),
                    other => {
                        return Err(format!(
                            "[rules.{key}] severity `{other}`: use info, warning, error or off"
                        ))
                    }
                };
                s.severity.insert(meta.code.clone(), v);
            }
            for (name, value) in &cfg.params {
                let p = meta.params.get(name).ok_or_else(|| {
                    let known: Vec<&str> = meta.params.keys().map(String::as_str).collect();
                    format!(
                        "[rules.{key}.params] `{name}` is not a parameter of {} (known: {})",
                        meta.code,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )
                })?;
                if *value < p.min || *value > p.max {
                    return Err(format!(
                        "[rules.{key}.params] {name} = {value} is outside {}..{}",
                        p.min, p.max
                    ));
                }
                s.params
                    .entry(meta.code.clone())
                    .or_default()
                    .insert(name.clone(), *value);
            }
        }
        Ok(s)
    }
}

pub struct Context<'a> {
    pub fleet: &'a Fleet,
    pub capacity: &'a [ServerCapacity],
    pub settings: &'a Settings,
}

impl Context<'_> {
    /// A rule parameter: poolcheck.toml's value, else the catalogue default.
    pub fn param(&self, code: &str, name: &str) -> f64 {
        if let Some(v) = self.settings.params.get(code).and_then(|p| p.get(name)) {
            return *v;
        }
        catalog::find(code)
            .and_then(|r| r.params.get(name))
            .map(|p| p.default)
            .unwrap_or_else(|| panic!("{code} has no parameter {name} in its rules/ file"))
    }

    pub fn services_of(&self, server: usize) -> impl Iterator<Item = &Service> {
        self.fleet
            .services
            .iter()
            .filter(move |s| s.server == server)
    }
}

/// Labels every input of a server's capacity sum: each service's pool max, processes and pods,
/// and the server's max_connections and reserve.
pub fn cite_capacity(mut f: Finding, ctx: &Context<'_>, server: usize, rollout: bool) -> Finding {
    for svc in ctx.services_of(server) {
        let d = crate::capacity::fleet::service_demand(svc);
        if let Some(max) = &svc.pool.max {
            f = f.cite(
                &max.origin,
                format!(
                    "{}: pool max {}",
                    svc.name,
                    d.pool_max.map_or("?".into(), |v| v.to_string())
                ),
            );
        }
        if let Some(o) = &svc.pool.overflow {
            f = f.cite(
                &o.origin,
                format!(
                    "{}: overflow {}",
                    svc.name,
                    o.value
                        .count()
                        .map_or("unbounded".into(), |v| v.to_string())
                ),
            );
        }
        if svc.processes.value != 1 || svc.processes.origin.location().is_some() {
            f = f.cite(
                &svc.processes.origin,
                format!("{}: × {} processes per pod", svc.name, svc.processes.value),
            );
        }
        let peak = svc.peak_pods();
        let what = if svc.hpa_max.is_some() {
            "HPA maxReplicas"
        } else {
            "replicas"
        };
        f = f.cite(
            &peak.origin,
            format!("{}: × {} pods ({what})", svc.name, peak.value),
        );
        if rollout {
            f = f.cite(
                &svc.surge.origin,
                format!(
                    "{}: + {} surge pods during a rolling update",
                    svc.name,
                    svc.surge_pods()
                ),
            );
        }
    }
    let s = &ctx.fleet.servers[server];
    if let Some(m) = &s.max_connections {
        f = f.cite(&m.origin, format!("max_connections {}", m.value));
    }
    let r = s.reserved();
    f = f.cite(&r.origin, format!("{} reserved", r.value));
    if let Some(o) = &s.other_usage {
        f = f.cite(
            &o.origin,
            format!("{} connections held by other applications", o.value),
        );
    }
    f.server(&s.name)
}

/// The largest pool per process for `svc` that keeps the server's demand within `available`,
/// given the other services unchanged.
pub fn max_pool_that_fits(
    ctx: &Context<'_>,
    server: usize,
    svc: &Service,
    available: i64,
    rollout: bool,
) -> Option<u32> {
    let cap = &ctx.capacity[server];
    let mine = cap.services.iter().find(|d| d.name == svc.name)?;
    let others: i64 = cap
        .services
        .iter()
        .filter(|d| d.name != svc.name)
        .map(|d| if rollout { d.demand_rollout } else { d.demand } as i64)
        .sum();
    let pods = i64::from(mine.peak_pods + if rollout { mine.surge_pods } else { 0 });
    let per = i64::from(mine.processes) * pods;
    if per == 0 {
        return None;
    }
    let room = available - others;
    (room >= per).then(|| (room / per) as u32)
}

/// Runs every enabled rule, then fills names and severities from the catalogue and poolcheck.toml
/// and orders findings by file and position.
pub fn run(ctx: &Context<'_>, input_findings: Vec<Finding>) -> Vec<Finding> {
    let mut findings = input_findings;
    for (code, check) in CHECKS {
        // A check runs unless every code it raises is switched off.
        let off = |c: &str| ctx.settings.severity.get(c) == Some(&None);
        let others_off = RAISED_BY
            .iter()
            .filter(|(_, by)| by == code)
            .all(|(c, _)| off(c));
        if off(code) && others_off {
            continue;
        }
        findings.extend(check(ctx));
    }
    findings.retain_mut(|f| {
        let Some(meta) = catalog::find(f.code) else {
            return true;
        };
        f.name = meta.name.as_str();
        match ctx.settings.severity.get(f.code) {
            Some(None) => false,
            Some(Some(sev)) => {
                f.severity = *sev;
                true
            }
            None => {
                f.severity = meta.severity;
                true
            }
        }
    });
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            f.primary
                .as_ref()
                .map(|l| (l.file, l.span.start))
                .unwrap_or((usize::MAX, 0))
        };
        key(a).cmp(&key(b)).then_with(|| a.code.cmp(b.code))
    });
    findings
}
