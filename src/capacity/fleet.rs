//! Fleet demand against server slots: Σ pool max × processes × pods, steady and during a
//! rolling update, per server, plus the server-side pools of the poolers in front of it. Results keep the Origin of every input, so rules label them
//! without recomputing anything from the model.

use crate::core::origin::Origin;
use crate::model::{Fleet, PoolMax, Service};
use serde::Serialize;

/// Where each number of a service's demand came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemandInputs {
    pub pool: Option<Origin>,
    /// SQLAlchemy-style overflow: its origin and count (None when unbounded).
    pub overflow: Option<(Origin, Option<u32>)>,
    pub processes: Option<Origin>,
    pub pods: Option<Origin>,
    /// "HPA maxReplicas" or "replicas".
    pub pods_from: &'static str,
    pub surge: Option<Origin>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceDemand {
    pub name: String,
    /// Index into the fleet's services.
    #[serde(skip)]
    pub index: usize,
    /// Connections one process may open (pool max + overflow); null when unbounded or unknown.
    pub pool_max: Option<u32>,
    pub processes: u32,
    /// Replicas at rest (HPA minReplicas when autoscaling).
    pub pods: u32,
    /// Pods at steady peak: HPA maxReplicas when autoscaling, else replicas.
    pub peak_pods: u32,
    /// Extra pods during a rolling update (maxSurge).
    pub surge_pods: u32,
    /// pool_max × processes × peak_pods (0 when the pool max is unknown or unbounded).
    pub demand: u64,
    /// pool_max × processes × (peak_pods + surge_pods); never below `demand`.
    pub demand_rollout: u64,
    /// "fixed", "unbounded", "unknown", "host_cpus".
    pub pool_kind: &'static str,
    /// The library whose defaults apply ("Prisma"), if recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// How the stack was recognised ("Prisma: package.json depends on @prisma/client").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    #[serde(skip)]
    pub inputs: DemandInputs,
}

/// Where each number of a server's capacity came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerInputs {
    pub max_connections: Option<Origin>,
    pub reserved: Option<Origin>,
    pub other_usage: Option<Origin>,
    pub extra_port: Option<Origin>,
    /// Where a server that is not PostgreSQL (the default) got its kind.
    pub engine: Option<Origin>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServerCapacity {
    pub server: String,
    pub engine: crate::core::engine::Engine,
    pub max_connections: Option<u32>,
    pub reserved: u32,
    pub usable: Option<u32>,
    /// Connections held by other applications right now (from a probe), counted against usable.
    pub other_usage: u32,
    /// Direct services' demand plus every pooler's server-side share.
    pub demand: u64,
    pub demand_rollout: u64,
    /// The services that connect directly.
    pub services: Vec<ServiceDemand>,
    /// The poolers whose server-side pools connect here, each with the services behind it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub poolers: Vec<super::pooler::PoolerCapacity>,
    /// MariaDB's extra_port, when a probe read it: connections beyond `usable`, for
    /// administrators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_port: Option<crate::model::ExtraPort>,
    #[serde(skip)]
    pub inputs: ServerInputs,
}

impl ServerCapacity {
    /// usable − other applications' connections: what this fleet may take.
    pub fn available(&self) -> Option<i64> {
        self.usable
            .map(|u| i64::from(u) - i64::from(self.other_usage))
    }

    /// The service with the largest demand (steady or during a rollout).
    pub fn biggest(&self, rollout: bool) -> Option<&ServiceDemand> {
        self.services
            .iter()
            .max_by_key(|d| if rollout { d.demand_rollout } else { d.demand })
    }
}

pub fn service_demand(index: usize, svc: &Service) -> ServiceDemand {
    let per_process = svc.pool.per_process();
    let pool_kind = match (&svc.pool.max, &svc.pool.overflow) {
        (Some(m), _) if m.value == PoolMax::Unbounded => "unbounded",
        (_, Some(o)) if o.value == PoolMax::Unbounded => "unbounded",
        (Some(m), _) if matches!(m.value, PoolMax::HostCpus { .. }) => "host_cpus",
        (Some(m), _) if m.value == PoolMax::Unknown => "unknown",
        (None, _) => "unknown",
        _ => "fixed",
    };
    let processes = svc.processes.value;
    let peak = svc.peak_pods().value;
    let surge = svc.surge_pods();
    // Saturating: the model caps user numbers, and a sum must never wrap below a part.
    let per_pod = u64::from(per_process.unwrap_or(0)).saturating_mul(u64::from(processes));
    let demand = per_pod.saturating_mul(u64::from(peak));
    ServiceDemand {
        name: svc.name.clone(),
        index,
        pool_max: per_process,
        processes,
        pods: svc.replicas.value,
        peak_pods: peak,
        surge_pods: surge,
        demand,
        demand_rollout: per_pod
            .saturating_mul(u64::from(peak) + u64::from(surge))
            .max(demand),
        pool_kind,
        library: svc.pool.library.clone(),
        stack: svc.pool.stack.clone(),
        inputs: DemandInputs {
            pool: svc.pool.max.as_ref().map(|m| m.origin.clone()),
            overflow: svc
                .pool
                .overflow
                .as_ref()
                .map(|o| (o.origin.clone(), o.value.count())),
            processes: Some(svc.processes.origin.clone()),
            pods: Some(svc.peak_pods().origin.clone()),
            pods_from: if svc.hpa_max.is_some() {
                "HPA maxReplicas"
            } else {
                "replicas"
            },
            surge: Some(svc.surge.origin.clone()),
        },
    }
}

pub fn compute(fleet: &Fleet) -> Vec<ServerCapacity> {
    fleet
        .servers
        .iter()
        .enumerate()
        .map(|(i, server)| {
            let services: Vec<ServiceDemand> = fleet
                .services
                .iter()
                .enumerate()
                .filter(|(_, s)| s.server == i && s.via.is_none())
                .map(|(j, s)| service_demand(j, s))
                .collect();
            let poolers: Vec<_> = (0..fleet.poolers.len())
                .filter(|&p| fleet.poolers[p].server == i)
                .map(|p| super::pooler::compute(fleet, p))
                .collect();
            let share = poolers
                .iter()
                .fold(0u64, |a, p| a.saturating_add(p.server_demand));
            let share_rollout = poolers
                .iter()
                .fold(0u64, |a, p| a.saturating_add(p.server_demand_rollout));
            let reserved = server.reserved();
            ServerCapacity {
                server: server.name.clone(),
                engine: server.engine,
                max_connections: server.max_connections.as_ref().map(|m| m.value),
                reserved: reserved.value,
                usable: server.usable(),
                other_usage: server.other_usage.as_ref().map_or(0, |o| o.value),
                demand: services
                    .iter()
                    .fold(share, |a, s| a.saturating_add(s.demand)),
                // Pooler instances do not surge with the services' rollouts; only a pool
                // without a server-side limit passes their surge through.
                demand_rollout: services
                    .iter()
                    .fold(share_rollout, |a, s| a.saturating_add(s.demand_rollout)),
                services,
                poolers,
                extra_port: server.extra_port.as_ref().map(|e| e.value),
                inputs: ServerInputs {
                    max_connections: server.max_connections.as_ref().map(|m| m.origin.clone()),
                    reserved: Some(reserved.origin),
                    other_usage: server.other_usage.as_ref().map(|o| o.origin.clone()),
                    extra_port: server.extra_port.as_ref().map(|e| e.origin.clone()),
                    engine: server
                        .engine_origin
                        .clone()
                        .filter(|_| server.engine != crate::core::engine::Engine::Postgres),
                },
            }
        })
        .collect()
}
