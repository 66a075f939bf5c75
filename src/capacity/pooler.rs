//! The pooler tier's two sums. Client side: Σ pool max × processes × peak pods of the services
//! routed to the pooler, against `max_client_conn` × instances (each instance takes its own
//! clients). Server side: Σ over the (database, user) pools it opens of pool_size (the user's,
//! else the database's, else default_pool_size) + the reserve, capped per database by
//! max_db_connections and per user by max_user_connections, × instances: that is what the
//! server sees of every service behind the pooler.
//!
//! Odyssey sizes each (database, user) pool by the route it matches; `pool_size 0` sets no
//! server-side limit, so such a pool opens as many server connections as it has clients: the
//! clients of the services landing in it pass through, spread over the instances and bounded
//! by the route's client_max and the pooler's. Its workers share the pools and multiply
//! nothing.

use super::fleet::{service_demand, ServiceDemand};
use crate::core::origin::Origin;
use crate::model::{Fleet, PoolMode, Pooler, PoolerKind};
use serde::Serialize;
use std::collections::BTreeMap;

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl PoolerCapacity {
    /// Pods × processes: the PgBouncers of the tier, each with its own pools.
    pub fn instances(&self) -> u32 {
        self.replicas.saturating_mul(self.processes.max(1))
    }
}

/// Where a pool's numbers came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolInputs {
    pub size: Origin,
    pub reserve: Origin,
    pub mode: Origin,
    /// Odyssey: the route (its `user` block) the pool takes its settings from.
    pub route: Option<Origin>,
}

/// One (database, user) pool the pooler opens on the server, per instance.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PoolDemand {
    /// The database name clients use (`?` when no URL says).
    pub database: String,
    /// The server-side user (`?` when no URL or `user=` says).
    pub user: String,
    pub mode: PoolMode,
    pub pool_size: u32,
    pub reserve: u32,
    /// The pooler sets no server-side limit (Odyssey's pool_size 0): pool_size is then the
    /// clients that pass through it per instance at peak.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unbounded: bool,
    /// For an unbounded pool, the same during the services' rolling updates.
    #[serde(skip)]
    pub pool_size_rollout: u32,
    /// Odyssey: the route's own client limit per instance, and the peak clients of the
    /// services landing in this pool (indexes into the pooler's `services`).
    #[serde(skip)]
    pub client_max: Option<(u32, Origin)>,
    #[serde(skip)]
    pub clients: u64,
    #[serde(skip)]
    pub services: Vec<usize>,
    #[serde(skip)]
    pub inputs: PoolInputs,
}

/// Where the pooler's own numbers came from, and which caps bound the server side.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PoolerInputs {
    pub replicas: Option<Origin>,
    /// PgBouncer processes per pod (so_reuseport), when poolcheck.toml or an assumption sets it.
    pub processes: Option<Origin>,
    pub max_client_conn: Option<Origin>,
    /// Each cap that lowered the server-side sum: its origin and "max_db_connections 30 (app)".
    pub caps: Vec<(Origin, String)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PoolerCapacity {
    pub name: String,
    pub kind: PoolerKind,
    /// Index into the fleet's poolers.
    #[serde(skip)]
    pub index: usize,
    /// Pods of the pooler.
    pub replicas: u32,
    /// PgBouncer processes per pod (so_reuseport); each pod × process is an instance with its
    /// own pools and its own client limit.
    #[serde(skip_serializing_if = "is_one")]
    pub processes: u32,
    /// Per instance.
    pub max_client_conn: u32,
    /// max_client_conn × instances: the clients the tier accepts when they spread evenly.
    pub client_capacity: u64,
    /// Σ of the routed services' demand at steady peak.
    pub client_demand: u64,
    /// The same during their rolling updates.
    pub client_demand_rollout: u64,
    /// Σ pool_size + reserve per instance, before the caps.
    pub server_pools: u64,
    /// Server connections one instance may open, after the caps.
    pub server_per_instance: u64,
    /// server_per_instance × instances: the pooler's share of the server.
    pub server_demand: u64,
    /// The same during the services' rolling updates: more than server_demand only when an
    /// unbounded pool passes their surge through.
    pub server_demand_rollout: u64,
    pub pools: Vec<PoolDemand>,
    pub services: Vec<ServiceDemand>,
    #[serde(skip)]
    pub inputs: PoolerInputs,
}

/// The (database, user) pool a service's connections land in: the database its URL names and
/// the entry's forced `user=`, else the service's own role (`?` when unknown).
pub fn pool_key(p: &Pooler, s: &crate::model::Service) -> (String, String) {
    let db = s.effective_database().unwrap_or("?").to_string();
    let forced = p.database(&db).and_then(|d| d.user.clone());
    let user = forced.or_else(|| s.effective_role().map(str::to_string));
    (db, user.unwrap_or_else(|| "?".into()))
}

/// The pools a pooler opens: those its config lists (pgcat, PgDog: a user × a server entry);
/// else one per (database, forced-or-client user) of the services routed to it; with none
/// routed, one per `[databases]` entry that forces a user.
fn pools(fleet: &Fleet, index: usize, p: &Pooler, services: &[ServiceDemand]) -> Vec<PoolDemand> {
    let mut keys: Vec<(String, String)> = Vec::new();
    let push = |keys: &mut Vec<(String, String)>, db: String, user: String| {
        if !keys.contains(&(db.clone(), user.clone())) {
            keys.push((db, user));
        }
    };
    for s in fleet.services.iter().filter(|s| s.via == Some(index)) {
        let (db, user) = pool_key(p, s);
        push(&mut keys, db, user);
    }
    if keys.is_empty() {
        for d in p.databases.iter().filter(|d| d.name != "*") {
            if let Some(u) = &d.user {
                push(&mut keys, d.name.clone(), u.clone());
            }
        }
    }
    if !p.fixed_pools.is_empty() {
        return p
            .fixed_pools
            .iter()
            .map(|f| PoolDemand {
                // RDS Proxy's single pool per target has no shard or role.
                database: if f.role.is_empty() {
                    f.cluster.clone()
                } else {
                    format!("{}/shard{} {}", f.cluster, f.shard, f.role)
                },
                user: f.user.clone(),
                mode: f.mode.value,
                pool_size: f.pool_size.value,
                reserve: 0,
                unbounded: false,
                client_max: None,
                clients: 0,
                services: Vec::new(),
                pool_size_rollout: f.pool_size.value,
                inputs: PoolInputs {
                    size: f.pool_size.origin.clone(),
                    reserve: f.pool_size.origin.clone(),
                    mode: f.mode.origin.clone(),
                    route: None,
                },
            })
            .collect();
    }
    if !p.routes.is_empty() {
        return routed_pools(fleet, p, keys, services);
    }
    keys.into_iter()
        .map(|(db, user)| {
            let entry = p.database(&db);
            let u = p.user(&user);
            let size = u
                .and_then(|u| u.pool_size.as_ref())
                .or_else(|| entry.and_then(|d| d.pool_size.as_ref()))
                .unwrap_or(&p.settings.default_pool_size);
            let reserve = entry
                .and_then(|d| d.reserve_pool.as_ref())
                .unwrap_or(&p.settings.reserve_pool_size);
            let mode = p.mode_for(Some(&db), Some(&user));
            PoolDemand {
                database: db,
                user,
                mode: mode.value,
                pool_size: size.value,
                reserve: reserve.value,
                unbounded: false,
                client_max: None,
                clients: 0,
                services: Vec::new(),
                pool_size_rollout: size.value,
                inputs: PoolInputs {
                    size: size.origin.clone(),
                    reserve: reserve.origin.clone(),
                    mode: mode.origin.clone(),
                    route: None,
                },
            }
        })
        .collect()
}

/// Odyssey: one pool per (database, user) of the routed services (with none routed, per
/// route that names both), sized by its route. A pair no route matches opens nothing: Odyssey
/// refuses its clients.
fn routed_pools(
    fleet: &Fleet,
    p: &Pooler,
    mut keys: Vec<(String, String)>,
    services: &[ServiceDemand],
) -> Vec<PoolDemand> {
    if keys.is_empty() {
        for r in &p.routes {
            if let (Some(db), Some(user)) = (&r.database, &r.user) {
                keys.push((db.clone(), user.clone()));
            }
        }
    }
    let replicas = u64::from(p.instances().max(1));
    let per_instance_cap = |clients: u64, client_max: Option<u32>| {
        let spread = clients.div_ceil(replicas);
        let cap = client_max.map_or(u64::MAX, u64::from);
        let all = u64::from(p.settings.max_client_conn.value);
        u32::try_from(spread.min(cap).min(all)).unwrap_or(u32::MAX)
    };
    keys.into_iter()
        .filter_map(|(db, user)| {
            let r = p.route(&db, &user)?;
            let (mut clients, mut rollout) = (0u64, 0u64);
            let mut landing = Vec::new();
            for (i, d) in services.iter().enumerate() {
                if pool_key(p, &fleet.services[d.index]) == (db.clone(), user.clone()) {
                    clients = clients.saturating_add(d.demand);
                    rollout = rollout.saturating_add(d.demand_rollout);
                    landing.push(i);
                }
            }
            let client_max = r.client_max.as_ref().map(|c| c.value);
            let (size, size_rollout) = if r.unlimited() {
                (
                    per_instance_cap(clients, client_max),
                    per_instance_cap(rollout, client_max),
                )
            } else {
                (r.pool_size.value, r.pool_size.value)
            };
            Some(PoolDemand {
                database: db,
                user,
                mode: r.mode.value,
                pool_size: size,
                reserve: 0,
                unbounded: r.unlimited(),
                client_max: r.client_max.as_ref().map(|c| (c.value, c.origin.clone())),
                clients,
                services: landing,
                pool_size_rollout: size_rollout,
                inputs: PoolInputs {
                    size: r.pool_size.origin.clone(),
                    reserve: r.pool_size.origin.clone(),
                    mode: r.mode.origin.clone(),
                    route: Some(r.origin.clone()),
                },
            })
        })
        .collect()
}

/// Σ over groups (databases or users) of min(Σ their pools, the group's cap); a cap that
/// bites is recorded.
fn capped_sum(
    pools: &[PoolDemand],
    group: impl Fn(&PoolDemand) -> &str,
    cap: impl Fn(&str) -> Option<(u32, Origin)>,
    what: &str,
    caps: &mut Vec<(Origin, String)>,
) -> u64 {
    let mut sums: BTreeMap<&str, u64> = BTreeMap::new();
    for d in pools {
        *sums.entry(group(d)).or_default() += u64::from(d.pool_size) + u64::from(d.reserve);
    }
    sums.into_iter()
        .map(|(name, sum)| match cap(name) {
            Some((c, origin)) if c > 0 && u64::from(c) < sum => {
                caps.push((origin, format!("{what} {c} ({name})")));
                u64::from(c)
            }
            _ => sum,
        })
        .sum()
}

pub fn compute(fleet: &Fleet, index: usize) -> PoolerCapacity {
    let p = &fleet.poolers[index];
    let services: Vec<ServiceDemand> = fleet
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| s.via == Some(index))
        .map(|(j, s)| service_demand(j, s))
        .collect();
    let pools = pools(fleet, index, p, &services);
    let mut caps = Vec::new();
    let server_pools = pools
        .iter()
        .map(|d| u64::from(d.pool_size) + u64::from(d.reserve))
        .sum();
    let by_db = capped_sum(
        &pools,
        |d| d.database.as_str(),
        |db| {
            let own = p.database(db).and_then(|d| d.max_db_connections.as_ref());
            let s = own.unwrap_or(&p.settings.max_db_connections);
            Some((s.value, s.origin.clone()))
        },
        "max_db_connections",
        &mut caps,
    );
    let mut user_caps = Vec::new();
    let by_user = capped_sum(
        &pools,
        |d| d.user.as_str(),
        |u| {
            let own = p.user(u).and_then(|u| u.max_user_connections.as_ref());
            let s = own.unwrap_or(&p.settings.max_user_connections);
            Some((s.value, s.origin.clone()))
        },
        "max_user_connections",
        &mut user_caps,
    );
    // Both caps hold at once; the smaller sum is the bound (the caps that produced it count).
    let per_instance = if by_user < by_db {
        caps = user_caps;
        by_user
    } else {
        by_db
    };
    let replicas = p.instances();
    let surge: u64 = pools
        .iter()
        .map(|d| u64::from(d.pool_size_rollout.saturating_sub(d.pool_size)))
        .sum();
    let server_demand = per_instance.saturating_mul(u64::from(replicas));
    let sum =
        |f: fn(&ServiceDemand) -> u64| services.iter().fold(0u64, |a, s| a.saturating_add(f(s)));
    PoolerCapacity {
        name: p.name.clone(),
        kind: p.kind,
        index,
        replicas: p.replicas.value,
        processes: p.processes.value.max(1),
        max_client_conn: p.settings.max_client_conn.value,
        client_capacity: u64::from(p.settings.max_client_conn.value) * u64::from(replicas),
        client_demand: sum(|s| s.demand),
        client_demand_rollout: sum(|s| s.demand_rollout),
        server_pools,
        server_per_instance: per_instance,
        server_demand,
        server_demand_rollout: server_demand
            .saturating_add(surge.saturating_mul(u64::from(replicas))),
        pools,
        services,
        inputs: PoolerInputs {
            replicas: Some(p.replicas.origin.clone()),
            processes: (p.processes.value > 1 || p.so_reuseport.is_some())
                .then(|| p.processes.origin.clone()),
            max_client_conn: Some(p.settings.max_client_conn.origin.clone()),
            caps,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pooler::tests::{pooler, service};
    use crate::model::pooler::{PoolerDatabase, PoolerUser};
    use crate::model::{PoolMax, Sourced};

    fn d<T>(v: T) -> Sourced<T> {
        Sourced::new(v, Origin::Default { note: "t".into() })
    }

    fn routed(name: &str, db: &str, user: &str, pool: u32, pods: u32) -> crate::model::Service {
        let mut s = service("pgbouncer:6432/x");
        s.name = name.into();
        s.via = Some(0);
        s.pool.max = Some(d(PoolMax::Fixed(pool)));
        s.pool.url_database = Some(db.into());
        s.pool.url_user = Some(user.into());
        s.replicas = d(pods);
        s
    }

    fn entry(name: &str) -> PoolerDatabase {
        PoolerDatabase::plain(name.into(), Origin::Default { note: "t".into() })
    }

    #[test]
    fn client_side_sums_the_routed_services_and_server_side_the_pools_times_instances() {
        let mut p = pooler("pgbouncer", &[]);
        p.replicas = d(2);
        p.settings.reserve_pool_size = d(5);
        p.settings.max_client_conn = d(1000);
        let fleet = Fleet {
            servers: vec![Default::default(), Default::default()],
            poolers: vec![p],
            // Two services on one (database, user): one pool; a third user opens another.
            services: vec![
                routed("node", "app", "web", 10, 100),
                routed("rails", "app", "web", 5, 40),
                routed("report", "app", "report", 2, 1),
            ],
        };
        let c = compute(&fleet, 0);
        assert_eq!(c.client_demand, 10 * 100 + 5 * 40 + 2);
        assert_eq!(c.client_capacity, 2000);
        assert_eq!(c.pools.len(), 2);
        assert_eq!(c.server_pools, 2 * (20 + 5));
        assert_eq!(c.server_demand, 2 * 2 * 25);
        assert!(c.inputs.caps.is_empty());
    }

    #[test]
    fn per_database_pool_size_and_caps_bound_the_server_side() {
        let mut p = pooler("pgbouncer", &[]);
        let mut app = entry("app");
        app.pool_size = Some(d(40));
        app.max_db_connections = Some(d(50));
        p.databases.push(app);
        p.users.push(PoolerUser {
            name: "batch".into(),
            mode: None,
            pool_size: Some(d(7)),
            max_user_connections: None,
        });
        let fleet = Fleet {
            servers: vec![Default::default(), Default::default()],
            poolers: vec![p],
            services: vec![
                routed("a", "app", "web", 10, 1),
                routed("b", "app", "api", 10, 1),
                routed("c", "other", "batch", 10, 1),
            ],
        };
        let c = compute(&fleet, 0);
        let sizes: Vec<u32> = c.pools.iter().map(|p| p.pool_size).collect();
        assert_eq!(sizes, [40, 40, 7]);
        assert_eq!(c.server_pools, 87);
        // app: min(80, 50) + other: 7.
        assert_eq!(c.server_per_instance, 57);
        assert_eq!(c.inputs.caps.len(), 1);
        assert_eq!(c.inputs.caps[0].1, "max_db_connections 50 (app)");
    }

    #[test]
    fn a_forced_user_folds_every_client_into_one_pool() {
        let mut p = pooler("pgbouncer", &[]);
        let mut app = entry("app");
        app.user = Some("pool".into());
        p.databases.push(app);
        let fleet = Fleet {
            servers: vec![Default::default(), Default::default()],
            poolers: vec![p],
            services: vec![
                routed("a", "app", "web", 1, 1),
                routed("b", "app", "api", 1, 1),
            ],
        };
        let c = compute(&fleet, 0);
        assert_eq!(c.pools.len(), 1);
        assert_eq!(c.pools[0].user, "pool");
        assert_eq!(c.server_demand, 20);
    }

    #[test]
    fn without_routed_services_the_forced_user_entries_are_the_pools() {
        let mut p = pooler("pgbouncer", &[]);
        let mut app = entry("app");
        app.user = Some("pool".into());
        p.databases.push(app);
        p.databases.push(entry("*"));
        let fleet = Fleet {
            servers: vec![Default::default(), Default::default()],
            poolers: vec![p],
            services: vec![],
        };
        let c = compute(&fleet, 0);
        assert_eq!(
            (c.pools.len(), c.server_demand, c.client_demand),
            (1, 20, 0)
        );
    }
}
