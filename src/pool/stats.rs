//! Pool statistics: histograms of acquire waits and hold times, counters, gauges and
//! time-weighted utilization.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
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
        self.record_ns(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }
    pub fn record_ns(&mut self, ns: u64) {
        let _ = self.0.record((ns / 1000).clamp(1, 3_600_000_000));
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
#[repr(usize)]
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
    /// Pool time (ns since the pool started).
    pub since: u64,
    pub reported: bool,
}

/// Counters of rare events (creates, closes, timeouts, leaks), under the core lock.
pub(super) struct State {
    pub size: i64,
    pub created: u64,
    pub create_errors: u64,
    pub last_create_error: Option<String>,
    pub timeouts: u64,
    pub refusals: u64,
    closed: [u64; 6],
    pub next_id: u64,
    pub checkouts: HashMap<u64, Checkout>,
    pub leaks: Vec<LeakEvent>,
}

/// Sub-buckets per power of two above `SUB`: values below `SUB` µs are kept exactly, larger
/// ones within 1/128 (a bucket's midpoint is within 0.4% of every value in it).
const SUB: u64 = 256;
const HALF: u64 = SUB / 2;
/// Enough buckets for the clamp's 3,600,000,000 µs (< 2^32).
const BUCKETS: usize = (SUB + 24 * HALF) as usize;

/// A log-linear count of microsecond values for the hot path: recording is a few integer
/// operations (an HdrHistogram record costs several times that), and a snapshot replays the
/// counts into an HdrHistogram at each bucket's midpoint.
pub(super) struct Recorder(Box<[u64; BUCKETS]>);

impl Default for Recorder {
    fn default() -> Self {
        Recorder(Box::new([0; BUCKETS]))
    }
}

impl Recorder {
    fn index(us: u64) -> usize {
        if us < SUB {
            return us as usize;
        }
        let msb = 63 - u64::from(us.leading_zeros());
        let e = msb - 7;
        let mantissa = us >> e;
        (SUB + (e - 1) * HALF + (mantissa - HALF)) as usize
    }

    /// The midpoint of bucket `i`'s values.
    fn value(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB {
            return i;
        }
        let e = (i - SUB) / HALF + 1;
        let mantissa = (i - SUB) % HALF + HALF;
        (mantissa << e) + (1 << (e - 1))
    }

    pub fn record_ns(&mut self, ns: u64) {
        let us = (ns / 1000).clamp(1, 3_600_000_000);
        self.0[Self::index(us)] += 1;
    }

    fn replay(&self, into: &mut Histogram) {
        for (i, &n) in self.0.iter().enumerate() {
            if n > 0 {
                let _ = into.0.record_n(Self::value(i).clamp(1, 3_600_000_000), n);
            }
        }
    }
}

/// The three recorders one shard holds.
#[derive(Default)]
pub(super) struct Hists {
    pub wait_direct: Recorder,
    pub wait_waited: Recorder,
    pub hold: Recorder,
}

/// The three histograms of a snapshot.
#[derive(Default)]
pub(super) struct Merged {
    pub wait_direct: Histogram,
    pub wait_waited: Histogram,
    pub hold: Histogram,
}

/// Statistics of every checkout, kept off the core lock: the histograms are sharded by thread
/// (merged when a snapshot is taken) and utilisation is integrated from atomics, so the hot
/// path never serialises on them.
pub(super) struct Hot {
    shards: Box<[Mutex<Hists>]>,
    pub in_use: AtomicI64,
    /// Σ hold time of returned checkouts, ns.
    hold_ns: AtomicU64,
    /// Σ (taken − started) of checkouts still out, ns: with in_use it gives their busy time.
    out_taken_ns: AtomicU64,
    pub started: Instant,
}

thread_local! {
    static SHARD: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

impl Hot {
    pub fn new(started: Instant) -> Hot {
        // One shard per core is enough to keep threads apart; each shard costs three
        // histograms of ~180 KB.
        let n = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
        Hot {
            shards: (0..n).map(|_| Mutex::new(Hists::default())).collect(),
            in_use: AtomicI64::new(0),
            hold_ns: AtomicU64::new(0),
            out_taken_ns: AtomicU64::new(0),
            started,
        }
    }

    fn shard(&self) -> MutexGuard<'_, Hists> {
        let i = SHARD.with(|s| *s) % self.shards.len();
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A checkout at pool time `off` (ns since the pool started) after waiting `wait` ns.
    pub fn checked_out(&self, off: u64, wait: u64, waited: bool) {
        self.in_use.fetch_add(1, Ordering::Relaxed);
        self.out_taken_ns.fetch_add(off, Ordering::Relaxed);
        let mut h = self.shard();
        if waited {
            h.wait_waited.record_ns(wait);
        } else {
            h.wait_direct.record_ns(wait);
        }
    }

    /// A return of the checkout taken at pool time `taken_off`, held `held` ns.
    pub fn returned(&self, taken_off: u64, held: u64) {
        self.hold_ns.fetch_add(held, Ordering::Relaxed);
        self.out_taken_ns.fetch_sub(taken_off, Ordering::Relaxed);
        self.in_use.fetch_sub(1, Ordering::Relaxed);
        self.shard().hold.record_ns(held);
    }

    fn merged(&self) -> Merged {
        let mut all = Merged::default();
        for s in self.shards.iter() {
            let s = s.lock().unwrap_or_else(|e| e.into_inner());
            s.wait_direct.replay(&mut all.wait_direct);
            s.wait_waited.replay(&mut all.wait_waited);
            s.hold.replay(&mut all.hold);
        }
        all
    }

    /// ∫ in_use dt up to `now`, in connection-seconds.
    fn busy_secs(&self, now: Instant) -> (i64, f64) {
        let in_use = self.in_use.load(Ordering::Relaxed);
        let done = self.hold_ns.load(Ordering::Relaxed) as f64;
        let out_taken = self.out_taken_ns.load(Ordering::Relaxed) as f64;
        let elapsed = nanos(now.saturating_duration_since(self.started)) as f64;
        let open = (in_use.max(0) as f64 * elapsed - out_taken).max(0.0);
        (in_use, (done + open) / 1e9)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
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
    /// Acquires refused at once because the circuit breaker was open.
    pub refusals: u64,
    pub breaker: super::breaker::Breaker,
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
    pub fn new() -> State {
        State {
            size: 0,
            created: 0,
            create_errors: 0,
            last_create_error: None,
            timeouts: 0,
            refusals: 0,
            closed: [0; 6],
            next_id: 0,
            checkouts: HashMap::new(),
            leaks: Vec::new(),
        }
    }

    pub fn count_close(&mut self, cause: Cause) {
        self.closed[cause as usize] += 1;
    }

    pub fn snapshot(
        &self,
        hot: &Hot,
        max: u32,
        gauges: (i64, i64, i64),
        breaker: super::breaker::Breaker,
    ) -> Snapshot {
        let (idle, waiters, creating) = gauges;
        let now = Instant::now();
        let (in_use, busy) = hot.busy_secs(now);
        let elapsed = now.saturating_duration_since(hot.started).as_secs_f64();
        let h = hot.merged();
        let c = |k: Cause| self.closed[k as usize];
        Snapshot {
            max_size: max,
            size: self.size,
            idle,
            in_use,
            creating,
            waiters,
            created: self.created,
            create_errors: self.create_errors,
            last_create_error: self.last_create_error.clone(),
            timeouts: self.timeouts,
            refusals: self.refusals,
            breaker,
            closed_broken: c(Cause::Broken),
            closed_idle: c(Cause::Idle),
            closed_lifetime: c(Cause::Lifetime),
            closed_validation: c(Cause::Validation),
            closed_cancelled: c(Cause::Cancelled),
            closed_shutdown: c(Cause::Shutdown),
            wait_direct: h.wait_direct,
            wait_waited: h.wait_waited,
            hold: h.hold,
            utilization: if elapsed > 0.0 {
                (busy / elapsed / f64::from(max)).min(1.0)
            } else {
                0.0
            },
        }
    }
}

impl Histogram {
    /// Recorded values ≤ `us` microseconds (within the histogram's 3 significant digits).
    pub fn count_le_us(&self, us: u64) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.count_between(0, us.max(1))
        }
    }
    /// Σ of the recorded values in seconds (count × mean, to 3 significant digits).
    pub fn sum_secs(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.mean() * self.0.len() as f64 / 1e6
        }
    }
}

#[cfg(test)]
mod recorder_tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_whose_midpoint_is_within_half_a_percent() {
        let mut us = 1u64;
        while us <= 3_600_000_000 {
            for v in [us, us + us / 3, us * 2 - 1] {
                let i = Recorder::index(v);
                assert!(i < BUCKETS, "{v} → {i}");
                let mid = Recorder::value(i) as f64;
                let err = (mid - v as f64).abs() / v as f64;
                assert!(err <= 0.005, "{v} µs read back as {mid} ({err})");
            }
            us *= 2;
        }
        assert_eq!(Recorder::index(255), 255, "small values are exact");
        assert_eq!(Recorder::value(Recorder::index(100)), 100);
    }

    #[test]
    fn a_snapshot_replays_the_counts_into_the_histogram() {
        let mut r = Recorder::default();
        for ms in 1..=1000u64 {
            r.record_ns(ms * 1_000_000);
        }
        let mut h = Histogram::default();
        r.replay(&mut h);
        assert_eq!(h.count(), 1000);
        let p99 = h.quantile_ms(0.99);
        assert!((p99 - 990.0).abs() / 990.0 < 0.006, "p99 {p99} ms");
        assert!((h.quantile_ms(0.5) - 500.0).abs() / 500.0 < 0.006);
    }
}
