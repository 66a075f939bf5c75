//! The saturation report: measured numbers beside the model's prediction.

use super::{Measured, Plan};
use crate::cli::Scenario;
use crate::pool::Snapshot;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub struct Outcome {
    pub scenario: Scenario,
    pub pool: u32,
    pub clients: u32,
    pub rps: Option<f64>,
    pub query: String,
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
        }
    }

    pub fn to_json(&self) -> Value {
        let [p50, p95, p99, max] = self.acquire_wait;
        json!({
            "scenario": format!("{:?}", self.scenario).to_lowercase(),
            "pool": self.pool,
            "clients": self.clients,
            "rps": self.rps,
            "duration_s": self.elapsed.as_secs_f64(),
            "completed": self.completed,
            "throughput_qps": self.throughput_qps,
            "acquire_wait_ms": { "p50": p50, "p95": p95, "p99": p99, "max": max },
            "timeout_wait_ms": self.timeout_wait_ms.map(|(p50, max)| json!({ "p50": p50, "max": max })),
            "acquire_timeout_ms": self.acquire_timeout.as_secs_f64() * 1000.0,
            "timeouts": self.timeouts,
            "refusals": self.refusals,
            "refusal_message": self.refusal_message,
            "errors": self.errors,
            "utilization": self.utilization,
            "hold_mean_ms": self.hold_mean_ms,
            "connections_created": self.created,
            "connections_replaced": self.replaced,
            "measured_p_wait": self.measured_p_wait,
            "prediction": self.prediction.map(|(p, q)| json!({ "p_wait": p, "p99_wait_ms": q, "stable": q.is_some() })),
            "recovery_ms": self.recovery.map(|d| d.as_secs_f64() * 1000.0),
            "leaked_connections": self.leaked_connections,
            "leak_check": if self.leaked_connections.is_some() { "done" } else { "could not run" },
            "interrupted": self.interrupted,
            "verdict": if self.failures().is_empty() { "pass" } else { "fail" },
            "failures": self.failures(),
            "free_slots_before": self.free_slots_before,
        })
    }

    pub fn human(&self) -> String {
        let [p50, p95, p99, max] = self.acquire_wait;
        let mut out = format!(
            "saturate: {} scenario, pool {} on `{}`, {} for {:.1}s{}\n\n",
            format!("{:?}", self.scenario).to_lowercase(),
            self.pool,
            self.query,
            match (self.scenario, self.rps) {
                (Scenario::Spike, _) =>
                    "Poisson arrivals at 80% of capacity with a burst to 120%".to_string(),
                (Scenario::Exhaust, _) => format!(
                    "every connection held, then {} extra acquires",
                    self.clients.min(8)
                ),
                (_, Some(r)) => format!("Poisson arrivals at {r}/s"),
                (_, None) => format!("{} closed-loop clients", self.clients),
            },
            self.elapsed.as_secs_f64(),
            if self.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        );
        out.push_str(&format!(
            "  throughput        {:.1} queries/s ({} completed)\n",
            self.throughput_qps, self.completed
        ));
        out.push_str(&format!("  acquire wait      p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, max {max:.2} ms\n"));
        out.push_str(&format!(
            "  P(wait) measured  {:.3}\n",
            self.measured_p_wait
        ));
        match self.prediction {
            Some((p, Some(q))) => out.push_str(&format!("  Erlang C predicts P(wait) {p:.3}, p99 wait {q:.2} ms (for the measured arrival rate and {:.2} ms mean hold)\n", self.hold_mean_ms)),
            Some((_, None)) => out.push_str("  Erlang C predicts an unstable queue at the measured arrival rate and hold time\n"),
            None => out.push_str("  Erlang C: nothing to model (no completed acquires, or exhaust mode)\n"),
        }
        if self.rps.is_none() && self.scenario == Scenario::Steady {
            out.push_str("  note              closed-loop clients are a finite population: the open-queue model overstates waits; use --rps to compare like with like\n");
        }
        out.push_str(&format!(
            "  utilization       {:.2} (time-weighted in-use / pool)\n",
            self.utilization
        ));
        out.push_str(&format!(
            "  timeouts          {}{}\n",
            self.timeouts,
            self.timeout_wait_ms
                .map_or(String::new(), |(p50, max)| format!(
                    " (failed after p50 {p50:.0} ms, max {max:.0} ms; acquire timeout {} ms)",
                    self.acquire_timeout.as_millis()
                ))
        ));
        out.push_str(&format!(
            "  refusals          {}{}\n",
            self.refusals,
            self.refusal_message
                .as_ref()
                .map_or(String::new(), |m| format!(" ({m})"))
        ));
        out.push_str(&format!("  errors            {}\n", self.errors));
        out.push_str(&format!(
            "  connections       {} opened, {} replaced after breaking\n",
            self.created, self.replaced
        ));
        if let Some(r) = self.recovery {
            out.push_str(&format!(
                "  recovery          queue drained {:.0} ms after the burst\n",
                r.as_secs_f64() * 1000.0
            ));
        }
        match self.leaked_connections {
            Some(n) => out.push_str(&format!(
                "  leaked            {n} (sessions still open on the server after the run)\n"
            )),
            None => out.push_str(
                "  leaked            unknown: the check could not run (the server went away)\n",
            ),
        }
        let failures = self.failures();
        if failures.is_empty() {
            out.push_str("\npass: no refusals, no failed queries, nothing left on the server\n");
        } else {
            out.push_str("\nFAIL:\n");
            for f in failures {
                out.push_str(&format!("  - {f}\n"));
            }
        }
        out
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
                "the server refused {} connection{} (SQLSTATE 53300, too many connections): a pool this size cannot open on this server or role; lower the pool or raise the limit",
                self.refusals,
                if self.refusals == 1 { "" } else { "s" }
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
                "{n} session{} left open on the server; check pg_stat_activity for application_name = poolcheck-saturate",
                if n == 1 { " was" } else { "s were" }
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
