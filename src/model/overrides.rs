//! What the command line changes: flags (`--max-connections`, `--reserved`, `--replicas`),
//! `--set` (file keys and model paths) and what-if's `--rps`. Every change goes through
//! [`put`], the precedence table of [`crate::core::origin`], so a flag beats poolcheck.toml and
//! the probe, and `--set` beats everything.

use crate::core::error::{ToolError, ToolResult};
use crate::core::origin::{choose, Layer, Origin, Sourced};
use crate::input::dialects::{self, Dialects};
use crate::model::{limits, Fleet, PoolMax, Surge};

/// Explicit flags of verify and what-if.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub max_connections: Option<u32>,
    pub reserved: Option<u32>,
    pub replicas: Option<u32>,
}

/// Puts `v` into `slot` unless the value already there comes from a higher layer.
pub fn put<T>(slot: &mut Option<Sourced<T>>, v: Sourced<T>) {
    *slot = choose([slot.take(), Some(v)]);
}

/// Same as [`put`] for a value that always has one.
pub fn put_value<T: Clone>(slot: &mut Sourced<T>, v: Sourced<T>) {
    if let Some(best) = choose([Some(slot.clone()), Some(v)]) {
        *slot = best;
    }
}

/// `--set` split into file keys (`DB_POOL_SIZE=30`) and model paths (`service.api.replicas=6`).
#[derive(Debug, Clone, Default)]
pub struct Sets {
    pub keys: Vec<(String, String)>,
    pub paths: Vec<(Vec<String>, String)>,
}

impl Sets {
    pub fn parse(sets: &[String]) -> ToolResult<Sets> {
        let mut out = Sets::default();
        for (i, s) in sets.iter().enumerate() {
            let Some((k, v)) = s.split_once('=') else {
                // Not echoed: an argument without `=` may be a pasted secret.
                return Err(ToolError::new(format!(
                    "--set takes KEY=VALUE, but argument {} of --set ({} characters) has no `=`",
                    i + 1,
                    s.chars().count()
                ))
                .with_help("e.g. --set DB_POOL_SIZE=30 or --set service.api.replicas=6"));
            };
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            if k.is_empty() {
                return Err(ToolError::new("--set =…: the key is empty")
                    .with_help("e.g. --set DB_POOL_SIZE=30 or --set service.api.replicas=6"));
            }
            if k.starts_with("service.") || k.starts_with("server.") || k.starts_with("pooler.") {
                out.paths
                    .push((k.split('.').map(String::from).collect(), v));
            } else {
                out.keys.push((k, v));
            }
        }
        Ok(out)
    }

    /// Every file key must have been taken by at least one service; otherwise it is a usage
    /// error naming the closest keys the services have or poolcheck knows.
    pub fn check_keys_taken(
        &self,
        taken: &[String],
        seen: &[String],
        dialects: &Dialects,
    ) -> ToolResult<()> {
        for (k, v) in &self.keys {
            if taken.iter().any(|t| t == k) {
                continue;
            }
            let mut candidates: Vec<String> = seen.to_vec();
            candidates.extend(dialects.env_key_names());
            let close = crate::core::text::close_matches(k, &candidates, 3);
            let hint = if close.is_empty() {
                "use a key as the files spell it (e.g. DB_POOL_SIZE) or a model path such as service.api.replicas".to_string()
            } else {
                format!("did you mean {}?", close.join(", "))
            };
            return Err(ToolError::new(format!(
                "--set {k}={}: no service's files have `{k}`, and no service uses a library that reads it",
                crate::core::secrets::redact_value(k, v)
            ))
            .with_help(hint));
        }
        Ok(())
    }
}

/// Applies flags, model-path `--set`s and `--rps` to the fleet.
pub fn apply(fleet: &mut Fleet, flags: &Flags, sets: &Sets, rps: Option<f64>) -> ToolResult<()> {
    apply_flags(fleet, flags)?;
    apply_paths(fleet, &sets.paths)?;
    if let Some(rps) = rps {
        if !rps.is_finite() || rps <= 0.0 {
            return Err(ToolError::new(format!(
                "--rps {rps}: the load must be a positive number of requests per second"
            ))
            .with_help("e.g. --rps 500"));
        }
        for svc in &mut fleet.services {
            if let Some(w) = &mut svc.workload {
                w.rps = Some(Sourced::new(
                    rps,
                    Origin::Flag {
                        flag: format!("--rps {rps}"),
                    },
                ));
            }
        }
    }
    Ok(())
}

fn apply_flags(fleet: &mut Fleet, flags: &Flags) -> ToolResult<()> {
    let flag = |name: &str, v: u32| Origin::Flag {
        flag: format!("--{name} {v}"),
    };
    // Says what a flag replaced, so a run never hides that it overrode the repository.
    let over = |name: &str, v: u32, old: &Option<Sourced<u32>>| match old {
        Some(o) if o.layer() > Layer::Flag && o.value != v => Origin::Flag {
            flag: format!("--{name} {v}, over {}'s {}", o.layer().name(), o.value),
        },
        _ => flag(name, v),
    };
    for s in &mut fleet.servers {
        if let Some(m) = flags.max_connections {
            let origin = over("max-connections", m, &s.max_connections);
            put(&mut s.max_connections, Sourced::new(m, origin));
        }
        if let Some(r) = flags.reserved {
            let origin = over("reserved", r, &s.reserved_total);
            put(&mut s.reserved_total, Sourced::new(r, origin));
        }
    }
    if let Some(r) = flags.replicas {
        limits::pods(u64::from(r)).map_err(|m| {
            ToolError::new(format!("--replicas {r}: {m}"))
                .with_help("give the pod count, e.g. --replicas 3")
        })?;
        for svc in &mut fleet.services {
            // The pods at rest; an autoscaler's maximum still sets the peak.
            put_value(&mut svc.replicas, Sourced::new(r, flag("replicas", r)));
        }
    }
    Ok(())
}

/// `--set service.api.replicas=6`, `--set server.main.max_connections=200`.
fn apply_paths(fleet: &mut Fleet, sets: &[(Vec<String>, String)]) -> ToolResult<()> {
    for (path, value) in sets {
        let key = path.join(".");
        let bad = |m: &str| {
            // The value is not echoed: a mistyped argument may be a pasted secret.
            ToolError::new(format!("--set {key}=…: {m}"))
            .with_help("model paths: service.NAME.{replicas,max_replicas,processes,max_surge,pool_max,via}, server.NAME.{max_connections,reserved} and pooler.NAME.{replicas,processes,default_pool_size,reserve_pool_size,max_client_conn,max_db_connections}")
        };
        if path.len() != 3 {
            return Err(bad("expected service.NAME.FIELD or server.NAME.FIELD"));
        }
        let origin = Origin::Set {
            key: format!("{key}={value}"),
        };
        if path[0] == "pooler" || (path[0] == "service" && path[2] == "via") {
            super::pooler::apply_set(fleet, path, value, origin).map_err(|m| bad(&m))?;
            continue;
        }
        let n: u64 = value
            .parse()
            .map_err(|_| bad("the value must be a whole number"))?;
        let field = path[2].as_str();
        let checked = match field {
            "replicas" | "max_replicas" | "max_surge" => limits::pods(n),
            "processes" => limits::processes(n),
            _ => limits::connections(n),
        }
        .map_err(|m| bad(&m))?;
        let v = Sourced::new(checked, origin.clone());
        match path[0].as_str() {
            "service" => {
                let names: Vec<String> = fleet.services.iter().map(|s| s.name.clone()).collect();
                let svc = fleet
                    .services
                    .iter_mut()
                    .find(|s| s.name == path[1])
                    .ok_or_else(|| bad(&no_such("service", &path[1], &names)))?;
                match field {
                    "replicas" => {
                        svc.replicas = v;
                        svc.hpa_max = None;
                    }
                    "max_replicas" => svc.hpa_max = Some(v),
                    "processes" => svc.processes = v,
                    "max_surge" => svc.surge = Sourced::new(Surge::Pods(checked), origin),
                    "pool_max" => {
                        svc.pool.max = Some(Sourced::new(PoolMax::Fixed(checked), origin))
                    }
                    _ => return Err(bad("unknown service field")),
                }
            }
            "server" => {
                let names: Vec<String> = fleet.servers.iter().map(|s| s.name.clone()).collect();
                let s = fleet
                    .servers
                    .iter_mut()
                    .find(|s| s.name == path[1])
                    .ok_or_else(|| bad(&no_such("server", &path[1], &names)))?;
                match field {
                    "max_connections" => s.max_connections = Some(v),
                    "reserved" => s.reserved_total = Some(v),
                    _ => return Err(bad("unknown server field")),
                }
            }
            _ => return Err(bad("expected service.NAME.FIELD or server.NAME.FIELD")),
        }
    }
    Ok(())
}

fn no_such(what: &str, name: &str, names: &[String]) -> String {
    let close = crate::core::text::close_matches(name, names, 3);
    if close.is_empty() {
        format!("no such {what} `{name}` (known: {})", names.join(", "))
    } else {
        format!(
            "no such {what} `{name}`; did you mean {}?",
            close.join(", ")
        )
    }
}

/// Whether a `--set` file key names the same key as `key` (relaxed binding, case).
pub fn same_key(a: &str, b: &str) -> bool {
    dialects::normalize(a) == dialects::normalize(b)
}
