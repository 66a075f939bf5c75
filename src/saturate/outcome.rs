//! The saturation report: measured numbers beside the model's prediction.

use super::{Measured, Plan, Wording};
use crate::cli::{Protocol, Scenario};
use crate::pool::Snapshot;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub struct Outcome {
    pub scenario: Scenario,
    pub pool: u32,
    pub clients: u32,
    pub rps: Option<f64>,
    pub query: String,
    /// How PostgreSQL received the query (None: an engine without the choice).
    pub protocol: Option<Protocol>,
    /// Each request held its connection this long on the client before the query.
    pub client_hold: Option<Duration>,
    pub elapsed: Duration,
    pub completed: u64,
    pub throughput_qps: f64,
    pub timeouts: u64,
    pub errors: u64,
    pub refusals: u64,
    pub refusal_message: Option<String>,
    pub acquire_wait: [f64; 4],
    pub timeout_wait_ms: Option<(f64, f64)>,
    pub hold_mean_ms: f64,
    pub utilization: f64,
    pub created: u64,
    pub replaced: u64,
    /// Sessions left on the server after the run; None when the check could not run (the
    /// server restarted, the observer connection broke).
    pub leaked_connections: Option<u64>,
    pub prediction: Option<(f64, Option<f64>)>,
    pub measured_p_wait: f64,
    pub recovery: Option<Duration>,
    pub interrupted: bool,
    pub free_slots_before: i64,
    pub acquire_timeout: Duration,
    /// The pool's statistics at the end of the run (for `--metrics`).
    pub snapshot: Snapshot,
    pub wording: Wording,
}

impl Outcome {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: &Plan,
        m: &Measured,
        s: Snapshot,
        elapsed: Duration,
        leaked: Option<u64>,
        prediction: Option<(f64, Option<f64>)>,
        recovery: Option<Duration>,
        interrupted: bool,
        refusal_message: Option<String>,
        free_slots_before: i64,
        wording: Wording,
    ) -> Outcome {
        let completed = m.completed.load(Ordering::Relaxed);
        let wait = s.acquire_wait();
        let tw = m.timeout_waits.lock().unwrap_or_else(|e| e.into_inner());
        let total = wait.count();
        Outcome {
            scenario: plan.scenario,
            pool: plan.pool,
            clients: plan.clients,
            rps: plan.rps,
            query: plan.query.clone(),
            protocol: plan.protocol,
            client_hold: plan.client_hold,
            elapsed,
            completed,
            throughput_qps: completed as f64 / elapsed.as_secs_f64().max(1e-9),
            timeouts: m.timeouts.load(Ordering::Relaxed),
            errors: m.errors.load(Ordering::Relaxed),
            refusals: m.refusals.load(Ordering::Relaxed),
            refusal_message,
            acquire_wait: [
                wait.quantile_ms(0.5),
                wait.quantile_ms(0.95),
                wait.quantile_ms(0.99),
                wait.max_ms(),
            ],
            timeout_wait_ms: (tw.count() > 0).then(|| (tw.quantile_ms(0.5), tw.max_ms())),
            hold_mean_ms: s.hold.mean_ms(),
            utilization: s.utilization,
            created: s.created,
            replaced: s.closed_broken + s.closed_validation,
            leaked_connections: leaked,
            prediction,
            measured_p_wait: if total > 0 {
                s.wait_waited.count() as f64 / total as f64
            } else {
                0.0
            },
            recovery,
            interrupted,
            free_slots_before,
            acquire_timeout: plan.acquire_timeout,
            snapshot: s,
            wording,
        }
    }

    /// What makes a run fail (exit 1): refusals, queries that failed (more than 1% of them),
    /// acquire timeouts outside the exhaust scenario (more than 1%), sessions left on the
    /// server, and a leak check that could not run. Empty: the run passes.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        let attempts = self.completed + self.errors + self.timeouts;
        let over_1pct = |n: u64| n > 0 && n * 100 > attempts;
        if self.refusals > 0 {
            out.push(format!(
                "the server refused {} connection{} ({}): a pool this size cannot open on {}; lower the pool or raise the limit",
                self.refusals,
                if self.refusals == 1 { "" } else { "s" },
                self.wording.refusal,
                self.wording.limit_of,
            ));
        }
        if over_1pct(self.errors) || (self.errors > 0 && self.completed == 0) {
            out.push(format!(
                "{} of {attempts} queries failed; check the query, the role's privileges and the server log",
                self.errors
            ));
        }
        if self.scenario != Scenario::Exhaust && over_1pct(self.timeouts) {
            out.push(format!(
                "{} of {attempts} acquires timed out after {} ms: the pool is too small for this load",
                self.timeouts,
                self.acquire_timeout.as_millis()
            ));
        }
        match self.leaked_connections {
            Some(0) => {}
            Some(n) => out.push(format!(
                "{n} session{} left open on the server; check {}",
                if n == 1 { " was" } else { "s were" },
                self.wording.leftovers,
            )),
            None => out.push(
                "the leak check could not run, so nothing proves the run left no sessions behind"
                    .into(),
            ),
        }
        out
    }
}

/// A progress bar on stderr, only when stderr is a terminal.
pub fn progress(duration: Duration) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(duration.as_millis() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} saturating [{bar:40}] {elapsed}/{msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{:.0}s", duration.as_secs_f64()));
    Some(bar)
}

/// Advances the bar; never finishes on its own (the load decides when the run ends).
pub async fn tick(bar: &Option<indicatif::ProgressBar>, start: Instant) {
    loop {
        if let Some(b) = bar {
            b.set_position(start.elapsed().as_millis() as u64);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
