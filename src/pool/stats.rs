//! Pool statistics: histograms of acquire waits and hold times, counters, gauges and
//! time-weighted utilization.

use std::collections::HashMap;
use std::panic::Location;
use std::time::{Duration, Instant};

/// Microsecond histogram (1 µs .. 1 h, 3 significant digits).
#[derive(Clone)]
pub struct Histogram(hdrhistogram::Histogram<u64>);

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Histogram(n={})", self.0.len())
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram(
            hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("static bounds are valid"),
        )
    }
}

impl Histogram {
    pub fn record(&mut self, d: Duration) {
        let us = (d.as_micros() as u64).clamp(1, 3_600_000_000);
        let _ = self.0.record(us);
    }
    pub fn count(&self) -> u64 {
        self.0.len()
    }
    /// Quantile in milliseconds (0 when empty).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.value_at_quantile(q) as f64 / 1000.0
        }
    }
    pub fn max_ms(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.max() as f64 / 1000.0
        }
    }
    pub fn mean_ms(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.mean() / 1000.0
        }
    }
    pub fn merge(&mut self, other: &Histogram) {
        let _ = self.0.add(&other.0);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Broken,
    Idle,
    Lifetime,
    Validation,
    Cancelled,
    Shutdown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LeakEvent {
    /// Held past the threshold; `location` is where it was taken.
    Held {
        id: u64,
        location: String,
        held: Duration,
    },
    /// A reported connection came back after `held`.
    Returned {
        id: u64,
        location: String,
        held: Duration,
    },
}

pub(super) struct Checkout {
    pub location: &'static Location<'static>,
    pub since: Instant,
    pub reported: bool,
}

/// Counters and gauges, updated under one short lock.
pub(super) struct State {
    max: u32,
    pub size: i64,
    pub in_use: i64,
    pub created: u64,
    pub create_errors: u64,
    pub last_create_error: Option<String>,
    pub timeouts: u64,
    closed: HashMap<&'static str, u64>,
    pub next_id: u64,
    pub checkouts: HashMap<u64, Checkout>,
    pub leaks: Vec<LeakEvent>,
    wait_direct: Histogram,
    wait_waited: Histogram,
    hold: Histogram,
    started: Instant,
    last_change: Instant,
    /// ∫ in_use dt, in connection-seconds.
    busy_area: f64,
}

/// A copy of the statistics at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub max_size: u32,
    pub size: i64,
    pub idle: i64,
    pub in_use: i64,
    pub creating: i64,
    pub waiters: i64,
    pub created: u64,
    pub create_errors: u64,
    pub last_create_error: Option<String>,
    pub timeouts: u64,
    pub closed_broken: u64,
    pub closed_idle: u64,
    pub closed_lifetime: u64,
    pub closed_validation: u64,
    pub closed_cancelled: u64,
    pub closed_shutdown: u64,
    /// Acquires served without waiting for a permit.
    pub wait_direct: Histogram,
    /// Acquires that queued.
    pub wait_waited: Histogram,
    pub hold: Histogram,
    /// Time-weighted mean of in_use / max_size since the pool started.
    pub utilization: f64,
}

impl Snapshot {
    /// All acquire waits, direct and queued.
    pub fn acquire_wait(&self) -> Histogram {
        let mut h = self.wait_direct.clone();
        h.merge(&self.wait_waited);
        h
    }
}

impl State {
    pub fn new(max: u32) -> State {
        let now = Instant::now();
        State {
            max,
            size: 0,
            in_use: 0,
            created: 0,
            create_errors: 0,
            last_create_error: None,
            timeouts: 0,
            closed: HashMap::new(),
            next_id: 0,
            checkouts: HashMap::new(),
            leaks: Vec::new(),
            wait_direct: Histogram::default(),
            wait_waited: Histogram::default(),
            hold: Histogram::default(),
            started: now,
            last_change: now,
            busy_area: 0.0,
        }
    }

    /// Accumulates in_use over time before any gauge changes.
    pub fn touch(&mut self) {
        let now = Instant::now();
        self.busy_area += self.in_use as f64 * (now - self.last_change).as_secs_f64();
        self.last_change = now;
    }

    pub fn record_acquire(&mut self, d: Duration, waited: bool) {
        if waited {
            self.wait_waited.record(d);
        } else {
            self.wait_direct.record(d);
        }
    }

    pub fn record_hold(&mut self, d: Duration) {
        self.hold.record(d);
    }

    pub fn count_close(&mut self, cause: Cause) {
        let key = match cause {
            Cause::Broken => "broken",
            Cause::Idle => "idle",
            Cause::Lifetime => "lifetime",
            Cause::Validation => "validation",
            Cause::Cancelled => "cancelled",
            Cause::Shutdown => "shutdown",
        };
        *self.closed.entry(key).or_default() += 1;
    }

    pub fn snapshot(&mut self, idle: i64, waiters: i64, creating: i64) -> Snapshot {
        self.touch();
        let elapsed = (self.last_change - self.started).as_secs_f64();
        let c = |k: &str| self.closed.get(k).copied().unwrap_or(0);
        Snapshot {
            max_size: self.max,
            size: self.size,
            idle,
            in_use: self.in_use,
            creating,
            waiters,
            created: self.created,
            create_errors: self.create_errors,
            last_create_error: self.last_create_error.clone(),
            timeouts: self.timeouts,
            closed_broken: c("broken"),
            closed_idle: c("idle"),
            closed_lifetime: c("lifetime"),
            closed_validation: c("validation"),
            closed_cancelled: c("cancelled"),
            closed_shutdown: c("shutdown"),
            wait_direct: self.wait_direct.clone(),
            wait_waited: self.wait_waited.clone(),
            hold: self.hold.clone(),
            utilization: if elapsed > 0.0 {
                self.busy_area / elapsed / f64::from(self.max)
            } else {
                0.0
            },
        }
    }
}
