//! M/M/c queueing (Erlang C) for a connection pool: connections are servers, queries are
//! customers, the acquire wait is the queueing delay. Pure functions, no I/O.
//!
//! Erlang C is computed through the Erlang-B recursion (B₀ = 1, B_k = a·B_{k−1}/(k + a·B_{k−1}),
//! C = B/(1 − ρ(1 − B))), which stays finite for any load: the textbook aᵏ/k! sum overflows
//! f64 past a ≈ 709 and turns into NaN.
//!
//! Burstiness uses the Allen–Cunneen approximation: waits of G/G/c ≈ waits of M/M/c × (ca² + cs²)/2,
//! applied to the rate of the (exponential) conditional wait, so the mean wait and every
//! quantile scale together; P(wait) stays Erlang C. Exact for ca² = cs² = 1, approximate otherwise.

use std::time::Duration;

/// The load a pool sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Workload {
    /// Acquires per second (λ).
    pub lambda: f64,
    /// Mean time a connection is held per acquire (1/μ).
    pub hold: Duration,
    /// Squared coefficient of variation of inter-arrival times (1 = Poisson).
    pub arrival_cv2: f64,
    /// Squared coefficient of variation of hold times (1 = exponential).
    pub hold_cv2: f64,
}

impl Workload {
    pub fn poisson(lambda: f64, hold: Duration) -> Workload {
        Workload {
            lambda,
            hold,
            arrival_cv2: 1.0,
            hold_cv2: 1.0,
        }
    }
    /// Offered load a = λ × hold time: the mean number of busy connections (Little's law).
    pub fn offered_load(&self) -> f64 {
        self.lambda * self.hold.as_secs_f64()
    }
    /// The same workload spread evenly over `n` pools (replicas × processes).
    pub fn split(&self, n: u32) -> Workload {
        Workload {
            lambda: self.lambda / f64::from(n.max(1)),
            ..*self
        }
    }
    fn burst_factor(&self) -> f64 {
        (self.arrival_cv2 + self.hold_cv2) / 2.0
    }
}

/// Erlang B (blocking probability of M/M/c/c) by the stable recursion.
pub fn erlang_b(a: f64, c: u32) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// Erlang C from Erlang B: P(an arrival waits). None when c ≤ a (no steady state).
pub fn erlang_c_from_b(a: f64, c: u32, b: f64) -> Option<f64> {
    if f64::from(c) <= a {
        return None;
    }
    let rho = a / f64::from(c);
    Some(b / (1.0 - rho * (1.0 - b)))
}

/// P(wait) for offered load `a` on `c` connections; None when the queue is unstable (c ≤ a).
///
/// ```
/// use poolcheck::capacity::erlang::erlang_c;
/// // 500 req/s × 2.5 queries × 40 ms = 50 busy connections on average.
/// assert_eq!(erlang_c(50.0, 50), None); // a pool of exactly 50 never catches up
/// let p = erlang_c(50.0, 60).unwrap();
/// assert!((p - 0.117302056132207).abs() < 1e-12);
/// ```
pub fn erlang_c(a: f64, c: u32) -> Option<f64> {
    erlang_c_from_b(a, c, erlang_b(a, c))
}

/// The pool's predicted behaviour under a workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Queue {
    Stable(Metrics),
    /// c ≤ a: waits grow without bound. Never reported as a number.
    Unstable {
        offered_load: f64,
        servers: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub offered_load: f64,
    pub servers: u32,
    /// ρ = a / c.
    pub utilization: f64,
    /// Erlang C: P(an acquire has to wait).
    pub p_wait: f64,
    /// Rate (1/s) of the exponential wait of those who wait: (cμ − λ) / burst factor.
    /// Infinite for perfectly regular traffic (no waits at all).
    pub wait_rate: f64,
}

impl Metrics {
    /// Mean acquire wait over all acquires, in seconds.
    pub fn mean_wait(&self) -> f64 {
        self.p_wait / self.wait_rate
    }
    /// Mean wait of the acquires that wait, in seconds.
    pub fn mean_wait_given_wait(&self) -> f64 {
        1.0 / self.wait_rate
    }
    /// The q-quantile of the acquire wait in seconds: ln(C/(1−q)) / rate, exactly 0 when
    /// 1 − q ≥ C (at least a share q of acquires do not wait at all).
    pub fn wait_quantile(&self, q: f64) -> f64 {
        if 1.0 - q >= self.p_wait || self.wait_rate.is_infinite() {
            return 0.0;
        }
        (self.p_wait / (1.0 - q)).ln() / self.wait_rate
    }
    /// P(an acquire waits longer than `timeout`) = C · e^{−rate·T}.
    pub fn p_timeout(&self, timeout: Duration) -> f64 {
        if self.wait_rate.is_infinite() {
            return 0.0;
        }
        self.p_wait * (-self.wait_rate * timeout.as_secs_f64()).exp()
    }
}

fn metrics(w: &Workload, c: u32, b: f64) -> Queue {
    let a = w.offered_load();
    match erlang_c_from_b(a, c, b) {
        None => Queue::Unstable {
            offered_load: a,
            servers: c,
        },
        Some(p_wait) => {
            let mu = 1.0 / w.hold.as_secs_f64();
            let factor = w.burst_factor();
            let base = f64::from(c) * mu - w.lambda;
            let wait_rate = if factor <= 0.0 {
                f64::INFINITY
            } else {
                base / factor
            };
            Queue::Stable(Metrics {
                offered_load: a,
                servers: c,
                utilization: a / f64::from(c),
                p_wait,
                wait_rate,
            })
        }
    }
}

/// The queue with `c` connections.
pub fn analyze(w: &Workload, c: u32) -> Queue {
    metrics(w, c, erlang_b(w.offered_load(), c))
}

/// Every pool size from 1 to `c_max` in one pass (Erlang B is built incrementally, so a full
/// sweep costs O(c_max), not O(c_max²)).
pub fn sweep(w: &Workload, c_max: u32) -> impl Iterator<Item = Queue> + '_ {
    let a = w.offered_load();
    let mut b = 1.0;
    (1..=c_max).map(move |k| {
        b = a * b / (f64::from(k) + a * b);
        metrics(w, k, b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// a = 50 with 40 ms holds: λ = 1250/s.
    fn seed() -> Workload {
        Workload::poisson(1250.0, Duration::from_millis(40))
    }

    fn close(got: f64, want: f64, rel: f64) {
        let err = ((got - want) / want).abs();
        assert!(
            err <= rel,
            "got {got:e}, want {want:e} (relative error {err:e})"
        );
    }

    fn stable(q: Queue) -> Metrics {
        match q {
            Queue::Stable(m) => m,
            Queue::Unstable { .. } => panic!("unstable"),
        }
    }

    // Reference values from scripts/erlang_reference.py (mpmath, 50 digits, textbook sum).
    #[test]
    fn reference_vectors() {
        let m = stable(analyze(&seed(), 55));
        close(m.p_wait, 0.384547317932929, 1e-12);
        close(m.wait_quantile(0.99) * 1000.0, 29.1958540154, 1e-10);
        let m = stable(analyze(&seed(), 60));
        close(m.p_wait, 0.117302056132207, 1e-12);
        close(m.wait_quantile(0.99) * 1000.0, 9.84866876538, 1e-10);
        let m = stable(analyze(&seed(), 70));
        close(m.p_wait, 0.00477143086994119, 1e-12);
        assert_eq!(m.wait_quantile(0.99), 0.0);
        close(erlang_c(1000.0, 1050).unwrap(), 0.0744017740374284, 1e-12);
        close(erlang_c(5000.0, 5250).unwrap(), 0.000247079163689106, 1e-12);
    }

    #[test]
    fn large_loads_stay_finite() {
        for c in [5001, 6000, 10_000] {
            let p = erlang_c(5000.0, c).unwrap();
            assert!(p.is_finite() && (0.0..=1.0).contains(&p), "c={c}: {p}");
        }
    }

    #[test]
    fn unstable_when_pool_does_not_exceed_load() {
        assert_eq!(
            analyze(&seed(), 50),
            Queue::Unstable {
                offered_load: 50.0,
                servers: 50
            }
        );
        assert!(matches!(analyze(&seed(), 10), Queue::Unstable { .. }));
        assert_eq!(erlang_c(50.0, 50), None);
    }

    #[test]
    fn zero_load_never_waits() {
        let w = Workload::poisson(0.0, Duration::from_millis(40));
        let m = stable(analyze(&w, 1));
        assert_eq!(m.p_wait, 0.0);
        assert_eq!(m.wait_quantile(0.99), 0.0);
        assert_eq!(m.mean_wait(), 0.0);
        assert_eq!(m.p_timeout(Duration::from_secs(1)), 0.0);
    }

    #[test]
    fn quantile_boundary_is_exactly_zero() {
        // 1 − q = C exactly (binary-exact values): that quantile does not wait.
        let m = Metrics {
            offered_load: 1.0,
            servers: 2,
            utilization: 0.5,
            p_wait: 0.25,
            wait_rate: 10.0,
        };
        assert_eq!(m.wait_quantile(0.75), 0.0);
        assert_eq!(m.wait_quantile(0.5), 0.0);
        close(m.wait_quantile(0.875), 2f64.ln() / 10.0, 1e-15);
    }

    #[test]
    fn timeout_probability_and_mean_waits() {
        let m = stable(analyze(&seed(), 55));
        // cμ − λ = 55·25 − 1250 = 125/s.
        close(m.mean_wait_given_wait(), 1.0 / 125.0, 1e-12);
        close(m.mean_wait(), 0.384547317932929 / 125.0, 1e-12);
        close(
            m.p_timeout(Duration::from_millis(10)),
            0.384547317932929 * (-1.25f64).exp(),
            1e-12,
        );
    }

    #[test]
    fn allen_cunneen_scales_waits_not_p_wait() {
        let bursty = Workload {
            arrival_cv2: 3.0,
            hold_cv2: 1.0,
            ..seed()
        };
        let (m, b) = (stable(analyze(&seed(), 55)), stable(analyze(&bursty, 55)));
        assert_eq!(m.p_wait, b.p_wait);
        close(b.mean_wait(), m.mean_wait() * 2.0, 1e-12);
        let regular = Workload {
            arrival_cv2: 0.0,
            hold_cv2: 0.0,
            ..seed()
        };
        assert_eq!(stable(analyze(&regular, 55)).wait_quantile(0.99), 0.0);
    }

    #[test]
    fn sweep_matches_direct_computation() {
        let direct: Vec<Queue> = (1..=80).map(|c| analyze(&seed(), c)).collect();
        let swept: Vec<Queue> = sweep(&seed(), 80).collect();
        assert_eq!(direct, swept);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn waits_never_grow_with_more_connections(a in 0.01f64..3000.0, hold_ms in 1u64..500, extra in 1u32..200) {
            let w = Workload::poisson(a / (hold_ms as f64 / 1000.0), Duration::from_millis(hold_ms));
            let c0 = a.floor() as u32 + 1;
            let mut prev: Option<Metrics> = None;
            for q in sweep(&w, c0 + extra).skip(c0 as usize - 1) {
                let m = stable(q);
                if let Some(p) = prev {
                    proptest::prop_assert!(m.p_wait <= p.p_wait * (1.0 + 1e-12));
                    proptest::prop_assert!(m.mean_wait() <= p.mean_wait() * (1.0 + 1e-12));
                    proptest::prop_assert!(m.wait_quantile(0.99) <= p.wait_quantile(0.99) * (1.0 + 1e-12) + 1e-15);
                }
                prev = Some(m);
            }
        }
    }
}
