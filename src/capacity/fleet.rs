//! Fleet demand against server slots: Σ pool max × processes × pods, steady and during a
//! rolling update, per server.

use crate::model::{Fleet, PoolMax};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceDemand {
    pub name: String,
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
    /// pool_max × processes × (peak_pods + surge_pods).
    pub demand_rollout: u64,
    /// "fixed", "unbounded", "unknown", "host_cpus".
    pub pool_kind: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServerCapacity {
    pub server: String,
    pub max_connections: Option<u32>,
    pub reserved: u32,
    pub usable: Option<u32>,
    /// Connections held by other applications right now (from a probe), counted against usable.
    pub other_usage: u32,
    pub demand: u64,
    pub demand_rollout: u64,
    pub services: Vec<ServiceDemand>,
}

impl ServerCapacity {
    /// usable − other applications' connections: what this fleet may take.
    pub fn available(&self) -> Option<i64> {
        self.usable
            .map(|u| i64::from(u) - i64::from(self.other_usage))
    }
}

pub fn service_demand(svc: &crate::model::Service) -> ServiceDemand {
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
    let per_pod = u64::from(per_process.unwrap_or(0)) * u64::from(processes);
    ServiceDemand {
        name: svc.name.clone(),
        pool_max: per_process,
        processes,
        pods: svc.replicas.value,
        peak_pods: peak,
        surge_pods: surge,
        demand: per_pod * u64::from(peak),
        demand_rollout: per_pod * u64::from(peak + surge),
        pool_kind,
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
                .filter(|s| s.server == i)
                .map(service_demand)
                .collect();
            ServerCapacity {
                server: server.name.clone(),
                max_connections: server.max_connections.as_ref().map(|m| m.value),
                reserved: server.reserved().value,
                usable: server.usable(),
                other_usage: server.other_usage.as_ref().map_or(0, |o| o.value),
                demand: services.iter().map(|s| s.demand).sum(),
                demand_rollout: services.iter().map(|s| s.demand_rollout).sum(),
                services,
            }
        })
        .collect()
}
