//! Pool sizing: the smallest pool meeting every target, split across replicas, checked against
//! the server.

use super::erlang::{sweep, Metrics, Queue, Workload};
use std::time::Duration;

/// Largest pool the search considers (PostgreSQL setups beyond this use a pooler anyway).
pub const MAX_POOL: u32 = 10_000;

/// What "big enough" means. Every target given must hold.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Targets {
    pub p_wait: Option<f64>,
    pub p99_wait: Option<Duration>,
    pub utilization: Option<f64>,
    /// (acquire timeout, highest acceptable probability of hitting it)
    pub timeout: Option<(Duration, f64)>,
}

impl Targets {
    /// When the user sets no target: p99 acquire wait ≤ 10 ms, a wait nobody notices.
    pub const DEFAULT_P99_WAIT: Duration = Duration::from_millis(10);

    pub fn or_default(self) -> Targets {
        if self.is_empty() {
            Targets {
                p99_wait: Some(Self::DEFAULT_P99_WAIT),
                ..self
            }
        } else {
            self
        }
    }

    pub fn is_empty(&self) -> bool {
        self.p_wait.is_none()
            && self.p99_wait.is_none()
            && self.utilization.is_none()
            && self.timeout.is_none()
    }

    /// The targets `m` misses, as phrases ("p99 wait 29.2 ms > 10 ms").
    pub fn missed(&self, m: &Metrics) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = self.p_wait {
            if m.p_wait > p {
                out.push(format!("P(wait) {:.3} > {p}", m.p_wait));
            }
        }
        if let Some(t) = self.p99_wait {
            let q = m.wait_quantile(0.99);
            if q > t.as_secs_f64() {
                out.push(format!(
                    "p99 wait {:.1} ms > {} ms",
                    q * 1000.0,
                    t.as_secs_f64() * 1000.0
                ));
            }
        }
        if let Some(u) = self.utilization {
            if m.utilization > u {
                out.push(format!("utilization {:.2} > {u}", m.utilization));
            }
        }
        if let Some((t, eps)) = self.timeout {
            let p = m.p_timeout(t);
            if p > eps {
                out.push(format!(
                    "P(acquire timeout {}) {p:.2e} > {eps}",
                    crate::core::units::format_duration(t)
                ));
            }
        }
        out
    }

    pub fn met(&self, m: &Metrics) -> bool {
        self.missed(m).is_empty()
    }
}

/// The smallest pool (for one pool's workload) meeting `targets`, or None when even
/// [`MAX_POOL`] does not.
pub fn smallest_pool(w: &Workload, targets: &Targets) -> Option<u32> {
    sweep(w, MAX_POOL).find_map(|q| match q {
        Queue::Stable(m) if targets.met(&m) => Some(m.servers),
        _ => None,
    })
}

/// A recommendation for a fleet of `pools` equal pools (replicas × processes) sharing the load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recommendation {
    pub per_pool: u32,
    pub pools: u32,
    pub total: u64,
    /// Offered load per pool.
    pub offered_load: f64,
    pub metrics: Metrics,
}

/// Splits `w` evenly over `pools` pools (they do not share capacity) and sizes each.
pub fn recommend(w: &Workload, pools: u32, targets: &Targets) -> Option<Recommendation> {
    let each = w.split(pools);
    let per_pool = smallest_pool(&each, targets)?;
    let metrics = match super::erlang::analyze(&each, per_pool) {
        Queue::Stable(m) => m,
        Queue::Unstable { .. } => return None,
    };
    Some(Recommendation {
        per_pool,
        pools,
        total: u64::from(per_pool) * u64::from(pools.max(1)),
        offered_load: each.offered_load(),
        metrics,
    })
}

/// How a configured pool fares under its workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub queue: Queue,
    /// Targets the configured pool misses (empty when stable and all met).
    pub missed: Vec<String>,
    /// What the targets need per pool, if reachable.
    pub needed: Option<u32>,
}

/// Judges a configured pool of `pool` connections serving `w` split over `pools` pools.
pub fn assess(w: &Workload, pools: u32, pool: u32, targets: &Targets) -> Assessment {
    let each = w.split(pools);
    let queue = super::erlang::analyze(&each, pool);
    let missed = match &queue {
        Queue::Stable(m) => targets.missed(m),
        Queue::Unstable { .. } => vec!["unstable".into()],
    };
    Assessment {
        queue,
        missed,
        needed: smallest_pool(&each, targets),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Workload {
        Workload::poisson(1250.0, Duration::from_millis(40))
    }

    #[test]
    fn seed_story_needs_more_than_littles_law() {
        // Little's law says 50; a pool of 50 is unstable; p99 ≤ 10 ms needs 60 (9.85 ms at 60).
        let t = Targets {
            p99_wait: Some(Duration::from_millis(10)),
            ..Targets::default()
        };
        assert_eq!(smallest_pool(&seed(), &t), Some(60));
        let t = Targets {
            p_wait: Some(0.05),
            ..Targets::default()
        };
        let c = smallest_pool(&seed(), &t).unwrap();
        assert!(super::super::erlang::erlang_c(50.0, c).unwrap() <= 0.05);
        assert!(super::super::erlang::erlang_c(50.0, c - 1).unwrap() > 0.05);
        let t = Targets {
            utilization: Some(0.8),
            ..Targets::default()
        };
        assert_eq!(smallest_pool(&seed(), &t), Some(63));
    }

    #[test]
    fn split_pools_need_more_in_total() {
        let t = Targets::default().or_default();
        let one = recommend(&seed(), 1, &t).unwrap();
        let four = recommend(&seed(), 4, &t).unwrap();
        assert_eq!(four.offered_load, 12.5);
        assert!(
            four.total > one.total,
            "4 pools {} vs 1 pool {}",
            four.total,
            one.total
        );
    }

    #[test]
    fn assessment_reports_unstable_and_missed_targets() {
        let t = Targets {
            p99_wait: Some(Duration::from_millis(10)),
            ..Targets::default()
        };
        let a = assess(&seed(), 1, 50, &t);
        assert!(matches!(a.queue, Queue::Unstable { .. }));
        assert_eq!(a.needed, Some(60));
        let a = assess(&seed(), 1, 55, &t);
        assert_eq!(a.missed, vec!["p99 wait 29.2 ms > 10 ms".to_string()]);
        assert!(assess(&seed(), 1, 60, &t).missed.is_empty());
    }

    #[test]
    fn impossible_targets_give_none() {
        let t = Targets {
            p_wait: Some(1e-300),
            ..Targets::default()
        };
        let huge = Workload::poisson(1e6, Duration::from_millis(40));
        assert_eq!(smallest_pool(&huge, &t), None);
    }
}
