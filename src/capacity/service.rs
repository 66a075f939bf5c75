//! A service's workload against its configured pool: the per-pool queue the rules judge and the
//! JSON report shows.

use super::erlang::{Queue, Workload};
use super::search::{self, Assessment, Targets};
use crate::input::dialects::Timeout;
use crate::model::Service;
use serde_json::{json, Value};

/// One service's queueing picture.
#[derive(Debug, Clone)]
pub struct ServiceQueue {
    pub service: String,
    pub rps: f64,
    /// Pools sharing the load: pods at rest × processes per pod (conservative: the HPA may not
    /// have scaled up when the peak arrives).
    pub pools: u32,
    pub pool: u32,
    pub workload: Workload,
    pub targets: Targets,
    pub assessment: Assessment,
}

/// None when the service declares no workload or its pool size is not a number.
pub fn evaluate(svc: &Service) -> Option<ServiceQueue> {
    let w = svc.workload.as_ref()?;
    let pool = svc.pool.per_process()?;
    let rps = w.rps.as_ref()?.value;
    let qpr = w.queries_per_request.as_ref().map_or(1.0, |q| q.value);
    let hold = w.query_time.as_ref()?.value;
    let (lambda, hold) = if w.per_request_hold {
        (rps, hold.mul_f64(qpr))
    } else {
        (rps * qpr, hold)
    };
    let workload = Workload {
        lambda,
        hold,
        arrival_cv2: w.arrival_cv2,
        hold_cv2: w.hold_cv2,
    };
    let mut targets = Targets {
        p_wait: w.target_wait_probability,
        p99_wait: w.target_p99_wait,
        utilization: w.target_utilization,
        timeout: None,
    };
    if let (Some(eps), Some(t)) = (w.target_timeout_probability, &svc.pool.acquire_timeout) {
        if let Timeout::Finite(d) = t.value {
            targets.timeout = Some((d, eps));
        }
    }
    let targets = targets.or_default();
    let pools = svc.replicas.value.max(1) * svc.processes.value.max(1);
    let assessment = search::assess(&workload, pools, pool, &targets);
    Some(ServiceQueue {
        service: svc.name.clone(),
        rps,
        pools,
        pool,
        workload,
        targets,
        assessment,
    })
}

impl ServiceQueue {
    pub fn offered_load_per_pool(&self) -> f64 {
        self.workload.offered_load() / f64::from(self.pools)
    }

    pub fn to_json(&self) -> Value {
        let a = self.offered_load_per_pool();
        let (stable, util, p_wait, mean, p99) = match &self.assessment.queue {
            Queue::Stable(m) => (
                true,
                Some(m.utilization),
                Some(m.p_wait),
                Some(m.mean_wait() * 1000.0),
                Some(m.wait_quantile(0.99) * 1000.0),
            ),
            // A utilization past 1 means nothing for a queue that never settles.
            Queue::Unstable { .. } => (false, None, None, None, None),
        };
        let summary = match (stable, p99) {
            (true, Some(p99)) => format!(
                "workload {}: {} req/s → a = {a:.2} busy per pool over {}; pool {} → utilization {:.2}, P(wait) {:.3}, p99 wait {p99:.2} ms; targets need {}",
                self.service, self.rps, crate::core::text::count(self.pools as usize, "pool"), self.pool, util.unwrap_or(0.0), p_wait.unwrap_or(0.0),
                self.assessment.needed.map_or("more than 10000".into(), |n| n.to_string())
            ),
            _ => format!(
                "workload {}: {} req/s → a = {a:.2} busy per pool over {}; pool {} is UNSTABLE; targets need {}",
                self.service, self.rps, crate::core::text::count(self.pools as usize, "pool"), self.pool,
                self.assessment.needed.map_or("more than 10000".into(), |n| n.to_string())
            ),
        };
        json!({
            "service": self.service,
            "rps": self.rps,
            "lambda_per_pool": self.workload.lambda / f64::from(self.pools),
            "hold_ms": self.workload.hold.as_secs_f64() * 1000.0,
            "pools": self.pools,
            "pool": self.pool,
            "offered_load_per_pool": a,
            "stable": stable,
            "utilization": util,
            "p_wait": p_wait,
            "mean_wait_ms": mean,
            "p99_wait_ms": p99,
            "needed_per_pool": self.assessment.needed,
            "missed_targets": self.assessment.missed,
            "summary": summary,
        })
    }
}
