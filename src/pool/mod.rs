//! poolcheck's own async connection pool, used by the saturation check.
//!
//! - Fair: a tokio Semaphore hands permits to waiters first-in-first-out (bb8, r2d2 and HikariCP
//!   let newcomers barge past waiters).
//! - One acquire deadline covers the wait, validation and connecting.
//! - A permit stands for one live-or-being-created connection checked out, so size ≤ max always;
//!   a returned connection goes back with its permit to the oldest waiter, whatever connection
//!   is being created elsewhere.
//! - The fast path (a free permit and a recently used idle connection) arms no timer and reads
//!   the clock once; a deadline is armed only when a waiter parks or a connection must be
//!   validated or opened. Checkout statistics are recorded off the core lock (sharded).
//! - A circuit breaker stops dialling a server that keeps refusing (see `breaker`).
//! - Returns are synchronous (on drop); bookkeeping uses RAII guards, so a dropped acquire
//!   future leaks nothing at any point.

mod breaker;
pub mod metrics;
mod stats;

pub use breaker::{Breaker, BreakerEvent, BreakerState};
pub use stats::{Histogram, LeakEvent, Snapshot};

use breaker::Circuit;
use stats::{Hot, State};
use std::collections::VecDeque;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Creates, checks and recognises broken connections.
pub trait Manager: Send + Sync + 'static {
    type Conn: Send + 'static;
    type Error: std::fmt::Display + Send + 'static;
    fn create(&self) -> impl Future<Output = Result<Self::Conn, Self::Error>> + Send;
    /// A round trip (e.g. an empty query); only for connections idle past the bypass window.
    fn validate(
        &self,
        conn: &mut Self::Conn,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// Cheap, local check (closed socket); never a round trip.
    fn is_broken(&self, conn: &Self::Conn) -> bool;
}

#[derive(Debug, Clone)]
pub struct Config {
    pub max_size: u32,
    /// Idle connections kept warm; `warm_up` opens this many (a fixed pool: min = max).
    pub min_idle: u32,
    pub acquire_timeout: Duration,
    /// Close connections idle longer than this, above `min_idle` only.
    pub idle_timeout: Option<Duration>,
    /// Close connections older than this (each gets up to `lifetime_jitter` × lifetime less, so
    /// they do not all expire together).
    pub max_lifetime: Option<Duration>,
    pub lifetime_jitter: f64,
    /// Connections used within this window are handed out without a validation round trip.
    pub validation_bypass: Duration,
    /// Report a connection held longer than this (once, and again when it comes back).
    pub leak_threshold: Option<Duration>,
    /// How often the maintenance task runs (idle/lifetime eviction, refill, leak scan).
    pub maintenance_interval: Duration,
    /// Consecutive connect failures that open the circuit breaker (0: never).
    pub breaker_threshold: u32,
    /// How long the open breaker refuses before letting one probe connect through.
    pub breaker_backoff: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_size: 10,
            min_idle: 0,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            lifetime_jitter: 0.025,
            validation_bypass: Duration::from_millis(500),
            leak_threshold: None,
            maintenance_interval: Duration::from_millis(250),
            breaker_threshold: 5,
            breaker_backoff: Duration::from_secs(1),
        }
    }
}

/// Why an acquire failed.
#[derive(Debug)]
pub enum PoolError<E> {
    /// No connection within the acquire deadline.
    Timeout {
        waited: Duration,
    },
    /// The manager could not create a connection (the last error before the deadline).
    Create(E),
    /// The circuit breaker is open after repeated connect failures; the next probe is due
    /// after `retry_in`.
    BreakerOpen {
        retry_in: Duration,
    },
    Closed,
}

impl<E: std::fmt::Display> std::fmt::Display for PoolError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoolError::Timeout { waited } => write!(
                f,
                "timed out after {} waiting for a connection",
                crate::core::units::format_duration(*waited)
            ),
            PoolError::Create(e) => write!(f, "could not open a connection: {e}"),
            PoolError::BreakerOpen { retry_in } => write!(
                f,
                "not connecting: the last connects all failed, so the circuit breaker is open; \
                 the next attempt is in {}",
                crate::core::units::format_duration(*retry_in)
            ),
            PoolError::Closed => f.write_str("the pool is closed"),
        }
    }
}

struct Idle<C> {
    conn: C,
    meta: Meta,
    since: Instant,
}

#[derive(Clone, Copy)]
struct Meta {
    id: u64,
    created: Instant,
    /// created + lifetime − jitter.
    expires: Option<Instant>,
}

/// The idle queue, the rare-event counters and the breaker share one lock: an acquire or a
/// return takes it once; per-checkout statistics live in `Inner::hot`.
struct Core<C> {
    idle: VecDeque<Idle<C>>,
    s: State,
    circuit: Circuit,
}

struct Inner<M: Manager> {
    manager: M,
    config: Config,
    semaphore: Arc<Semaphore>,
    core: Mutex<Core<M::Conn>>,
    hot: Hot,
    waiters: AtomicI64,
    creating: AtomicI64,
}

pub struct Pool<M: Manager> {
    inner: Arc<Inner<M>>,
}

impl<M: Manager> Clone for Pool<M> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these structures half-updated in a way that
    // matters more than losing the pool; keep going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Decrements a gauge when dropped (cancellation safety for every await point). Gauges that
/// need no time weighting are atomics, so waiting costs no extra lock.
struct Gauge<'a>(&'a AtomicI64);

impl<'a> Gauge<'a> {
    fn up(g: &'a AtomicI64) -> Gauge<'a> {
        g.fetch_add(1, Ordering::Relaxed);
        Gauge(g)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<M: Manager> Pool<M> {
    /// A pool with its maintenance task (needs a tokio runtime).
    pub fn new(manager: M, config: Config) -> Pool<M> {
        let max = config.max_size.max(1);
        let config = Config {
            max_size: max,
            min_idle: config.min_idle.min(max),
            ..config
        };
        let started = Instant::now();
        let inner = Arc::new(Inner {
            semaphore: Arc::new(Semaphore::new(max as usize)),
            manager,
            core: Mutex::new(Core {
                idle: VecDeque::new(),
                s: State::new(),
                circuit: Circuit::new(config.breaker_threshold, config.breaker_backoff, started),
            }),
            hot: Hot::new(started),
            waiters: AtomicI64::new(0),
            creating: AtomicI64::new(0),
            config,
        });
        let weak = Arc::downgrade(&inner);
        tokio::spawn(maintain(weak));
        Pool { inner }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Opens connections up to `min_idle` before measuring; returns how many were opened and
    /// the first error, if any.
    pub async fn warm_up(&self) -> (u32, Option<M::Error>) {
        let mut opened = 0;
        let want = self.inner.config.min_idle;
        while self.snapshot().size < i64::from(want) && self.inner.may_grow_idle() {
            let Ok(permit) = self.inner.semaphore.clone().try_acquire_owned() else {
                break;
            };
            match self.inner.create(&permit).await {
                Ok((conn, meta)) => {
                    self.inner.push_idle(conn, meta);
                    opened += 1;
                    drop(permit);
                }
                Err(Refused::Server(e)) => return (opened, Some(e)),
                Err(Refused::Breaker(_)) => break,
            }
        }
        (opened, None)
    }

    /// Waits (FIFO) for a connection until the acquire deadline.
    #[track_caller]
    pub fn get(&self) -> impl Future<Output = Result<Pooled<M>, PoolError<M::Error>>> + Send + '_ {
        let location = Location::caller();
        async move {
            let inner = &self.inner;
            let start = Instant::now();
            let deadline = tokio::time::Instant::from_std(start + inner.config.acquire_timeout);
            let (permit, waited) = match inner.semaphore.clone().try_acquire_owned() {
                Ok(p) => (p, false),
                Err(tokio::sync::TryAcquireError::Closed) => return Err(PoolError::Closed),
                Err(tokio::sync::TryAcquireError::NoPermits) => {
                    let _waiting = Gauge::up(&inner.waiters);
                    // `timeout_at` polls the acquire first and registers its timer only if
                    // that returns Pending, i.e. only when this waiter really parks.
                    let acquire = inner.semaphore.clone().acquire_owned();
                    match tokio::time::timeout_at(deadline, acquire).await {
                        Ok(Ok(p)) => (p, true),
                        Ok(Err(_)) => return Err(PoolError::Closed),
                        Err(_) => return Err(self.timed_out(start)),
                    }
                }
            };
            let now = if waited { Instant::now() } else { start };
            let permit = match self.try_idle(permit, now, start, waited, location) {
                Ok(c) => return Ok(c),
                Err(p) => p,
            };
            let prepare = self.prepare(permit, start, waited, location);
            match tokio::time::timeout_at(deadline, prepare).await {
                Ok(r) => r,
                Err(_) => Err(self.timed_out(start)),
            }
        }
    }

    fn timed_out(&self, start: Instant) -> PoolError<M::Error> {
        lock(&self.inner.core).s.timeouts += 1;
        PoolError::Timeout {
            waited: start.elapsed(),
        }
    }

    /// A recently used idle connection, handed out without I/O; `now` is the only clock read.
    /// Gives the permit back when the newest idle connection would need work.
    fn try_idle(
        &self,
        permit: OwnedSemaphorePermit,
        now: Instant,
        start: Instant,
        waited: bool,
        location: &'static Location<'static>,
    ) -> Result<Pooled<M>, OwnedSemaphorePermit> {
        let inner = &self.inner;
        let idle = {
            let mut core = lock(&inner.core);
            let usable = core.idle.back().is_some_and(|i| {
                now.saturating_duration_since(i.since) <= inner.config.validation_bypass
                    && i.meta.expires.is_none_or(|e| now < e)
                    && !inner.manager.is_broken(&i.conn)
            });
            match core.idle.pop_back() {
                Some(idle) if usable => {
                    self.track(&mut core.s, idle.meta.id, now, location);
                    idle
                }
                Some(idle) => {
                    core.idle.push_back(idle);
                    return Err(permit);
                }
                None => return Err(permit),
            }
        };
        Ok(self.pooled(idle.conn, idle.meta, permit, now, start, waited))
    }

    /// Leak detection alone needs to know who holds what (under the lock the caller holds).
    fn track(&self, s: &mut State, id: u64, now: Instant, location: &'static Location<'static>) {
        if self.inner.config.leak_threshold.is_some() {
            s.checkouts.insert(
                id,
                stats::Checkout {
                    location,
                    since: now,
                    reported: false,
                },
            );
        }
    }

    fn pooled(
        &self,
        conn: M::Conn,
        meta: Meta,
        permit: OwnedSemaphorePermit,
        taken: Instant,
        start: Instant,
        waited: bool,
    ) -> Pooled<M> {
        let wait = taken.saturating_duration_since(start);
        let taken_off = self.inner.hot.checked_out(taken, wait, waited);
        Pooled {
            conn: Some(conn),
            meta,
            permit: Some(permit),
            pool: self.inner.clone(),
            taken,
            taken_off,
            broken: false,
        }
    }

    /// The slow path under a permit: validate a stale idle connection or open a new one.
    async fn prepare(
        &self,
        permit: OwnedSemaphorePermit,
        start: Instant,
        waited: bool,
        location: &'static Location<'static>,
    ) -> Result<Pooled<M>, PoolError<M::Error>> {
        let inner = &self.inner;
        let mut last_error: Option<M::Error> = None;
        loop {
            let candidate = lock(&inner.core).idle.pop_back();
            let (conn, meta) = match candidate {
                Some(idle) => {
                    if inner.manager.is_broken(&idle.conn) {
                        inner.closed(stats::Cause::Broken);
                        continue;
                    }
                    let now = Instant::now();
                    if idle.meta.expires.is_some_and(|e| now >= e) {
                        inner.closed(stats::Cause::Lifetime);
                        continue;
                    }
                    let mut conn = idle.conn;
                    if now.saturating_duration_since(idle.since) > inner.config.validation_bypass {
                        // The connection lives in this future while validating: if the future is
                        // dropped here, `Validating` closes it in the books.
                        let guard = Validating { inner, done: false };
                        let ok = inner.manager.validate(&mut conn).await;
                        let mut guard = guard;
                        guard.done = true;
                        if ok.is_err() {
                            inner.closed(stats::Cause::Validation);
                            continue;
                        }
                    }
                    (conn, idle.meta)
                }
                None => match inner.create(&permit).await {
                    Ok(c) => c,
                    Err(Refused::Breaker(retry_in)) => {
                        lock(&inner.core).s.refusals += 1;
                        // An acquire that saw the server refuse reports why it refused.
                        return Err(match last_error {
                            Some(e) => PoolError::Create(e),
                            None => PoolError::BreakerOpen { retry_in },
                        });
                    }
                    Err(Refused::Server(e)) => {
                        // Keep trying until the deadline: the server may free a slot; report
                        // the last error if time runs out.
                        lock(&inner.core).s.last_create_error = Some(e.to_string());
                        if start.elapsed() + Duration::from_millis(50)
                            >= inner.config.acquire_timeout
                        {
                            return Err(PoolError::Create(e));
                        }
                        last_error = Some(e);
                        tokio::time::sleep(Duration::from_millis(25)).await;
                        continue;
                    }
                },
            };
            let taken = Instant::now();
            self.track(&mut lock(&inner.core).s, meta.id, taken, location);
            return Ok(self.pooled(conn, meta, permit, taken, start, waited));
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let (waiters, creating) = (
            self.inner.waiters.load(Ordering::Relaxed),
            self.inner.creating.load(Ordering::Relaxed),
        );
        let core = lock(&self.inner.core);
        let idle = core.idle.len() as i64;
        let max = self.inner.config.max_size;
        let breaker = core.circuit.view();
        core.s
            .snapshot(&self.inner.hot, max, (idle, waiters, creating), breaker)
    }

    /// Leak reports so far (held past the threshold, and their returns).
    pub fn leak_events(&self) -> Vec<LeakEvent> {
        lock(&self.inner.core).s.leaks.clone()
    }

    /// Closes every idle connection and refuses new acquires; connections in use close when
    /// they come back.
    pub fn close(&self) {
        self.inner.semaphore.close();
        let drained: Vec<_> = lock(&self.inner.core).idle.drain(..).collect();
        for _ in &drained {
            self.inner.closed(stats::Cause::Shutdown);
        }
        drop(drained);
    }
}

struct Validating<'a, M: Manager> {
    inner: &'a Inner<M>,
    done: bool,
}

impl<M: Manager> Drop for Validating<'_, M> {
    fn drop(&mut self) {
        if !self.done {
            self.inner.closed(stats::Cause::Cancelled);
        }
    }
}

impl<M: Manager> Inner<M> {
    /// Creates a connection under a permit, unless the breaker is open; the `creating` gauge
    /// is released even if the future is dropped mid-connect.
    async fn create(
        &self,
        _permit: &OwnedSemaphorePermit,
    ) -> Result<(M::Conn, Meta), Refused<M::Error>> {
        lock(&self.core)
            .circuit
            .admit(Instant::now())
            .map_err(Refused::Breaker)?;
        let _creating = Gauge::up(&self.creating);
        let conn = self.manager.create().await;
        let created = Instant::now();
        let mut core = lock(&self.core);
        match conn {
            Ok(c) => {
                core.circuit.success(created);
                let s = &mut core.s;
                s.created += 1;
                s.size += 1;
                s.next_id += 1;
                let expires = self.config.max_lifetime.map(|l| {
                    let jitter = l.mul_f64(self.config.lifetime_jitter * rand::random::<f64>());
                    created + l.saturating_sub(jitter)
                });
                Ok((
                    c,
                    Meta {
                        id: s.next_id,
                        created,
                        expires,
                    },
                ))
            }
            Err(e) => {
                core.circuit.failure(created);
                core.s.create_errors += 1;
                Err(Refused::Server(e))
            }
        }
    }

    /// Whether one more idle connection may be opened: below min_idle and below max_size.
    fn may_grow_idle(&self) -> bool {
        let core = lock(&self.core);
        (core.idle.len() as i64) < i64::from(self.config.min_idle)
            && core.s.size + self.creating.load(Ordering::Relaxed) < i64::from(self.config.max_size)
    }

    fn push_idle(&self, conn: M::Conn, meta: Meta) {
        lock(&self.core).idle.push_back(Idle {
            conn,
            meta,
            since: Instant::now(),
        });
    }

    fn closed(&self, cause: stats::Cause) {
        close_booked(&mut lock(&self.core).s, cause);
    }
}

/// Why `Inner::create` gave no connection.
enum Refused<E> {
    Server(E),
    /// The breaker is open; the next probe is due after this.
    Breaker(Duration),
}

fn close_booked(s: &mut State, cause: stats::Cause) {
    s.size -= 1;
    s.count_close(cause);
}

/// A checked-out connection; goes back to the pool when dropped.
pub struct Pooled<M: Manager> {
    conn: Option<M::Conn>,
    meta: Meta,
    permit: Option<OwnedSemaphorePermit>,
    pool: Arc<Inner<M>>,
    taken: Instant,
    /// `taken` as the statistics booked it.
    taken_off: u64,
    broken: bool,
}

impl<M: Manager> Pooled<M> {
    /// Close this connection instead of returning it (e.g. after an I/O error).
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
    pub fn age(&self) -> Duration {
        self.meta.created.elapsed()
    }
}

impl<M: Manager> Deref for Pooled<M> {
    type Target = M::Conn;
    fn deref(&self) -> &M::Conn {
        self.conn.as_ref().expect("present until drop")
    }
}

impl<M: Manager> DerefMut for Pooled<M> {
    fn deref_mut(&mut self) -> &mut M::Conn {
        self.conn.as_mut().expect("present until drop")
    }
}

impl<M: Manager> Drop for Pooled<M> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let inner = &self.pool;
        let now = Instant::now();
        let held = now.saturating_duration_since(self.taken);
        let expired = self.meta.expires.is_some_and(|e| now >= e);
        let broken = self.broken || inner.manager.is_broken(&conn);
        let closed = inner.semaphore.is_closed();
        let doomed = {
            // One lock for the books and the idle queue.
            let mut core = lock(&inner.core);
            let s = &mut core.s;
            if !s.checkouts.is_empty() {
                if let Some(c) = s.checkouts.remove(&self.meta.id) {
                    if c.reported {
                        s.leaks.push(LeakEvent::Returned {
                            id: self.meta.id,
                            location: c.location.to_string(),
                            held,
                        });
                    }
                }
            }
            if broken || expired || closed {
                let cause = if broken {
                    stats::Cause::Broken
                } else if expired {
                    stats::Cause::Lifetime
                } else {
                    stats::Cause::Shutdown
                };
                close_booked(s, cause);
                Some(conn)
            } else {
                core.idle.push_back(Idle {
                    conn,
                    meta: self.meta,
                    since: now,
                });
                None
            }
        };
        inner.hot.returned(self.taken_off, held);
        // Closing a connection may do I/O: outside the lock.
        drop(doomed);
        // The permit goes last, so the next waiter finds the connection already idle.
        drop(self.permit.take());
    }
}

/// Idle and lifetime eviction, refilling to min_idle (also replacing broken connections), and
/// the leak scan. Ends when the pool is dropped.
async fn maintain<M: Manager>(weak: Weak<Inner<M>>) {
    let interval = match weak.upgrade() {
        Some(i) => i.config.maintenance_interval,
        None => return,
    };
    loop {
        tokio::time::sleep(interval).await;
        let Some(inner) = weak.upgrade() else { return };
        if inner.semaphore.is_closed() {
            return;
        }
        let now = Instant::now();
        let min_idle = inner.config.min_idle as usize;
        let evicted: Vec<(Idle<M::Conn>, stats::Cause)> = {
            let mut core = lock(&inner.core);
            let idle = &mut core.idle;
            let mut out = Vec::new();
            let mut keep = VecDeque::new();
            let total = idle.len();
            // Oldest-idle first (front of the deque) are the ones to retire.
            for (i, c) in idle.drain(..).enumerate() {
                let above_min = total - i > min_idle;
                if c.meta.expires.is_some_and(|e| now >= e) {
                    out.push((c, stats::Cause::Lifetime));
                } else if inner.manager.is_broken(&c.conn) {
                    out.push((c, stats::Cause::Broken));
                } else if above_min
                    && inner
                        .config
                        .idle_timeout
                        .is_some_and(|t| now - c.since >= t)
                {
                    out.push((c, stats::Cause::Idle));
                } else {
                    keep.push_back(c);
                }
            }
            *idle = keep;
            out
        };
        for (c, cause) in evicted {
            inner.closed(cause);
            drop(c);
        }
        if let Some(threshold) = inner.config.leak_threshold {
            let mut core = lock(&inner.core);
            let s = &mut core.s;
            let mut found = Vec::new();
            for (id, c) in s.checkouts.iter_mut() {
                if !c.reported && now - c.since >= threshold {
                    c.reported = true;
                    found.push(LeakEvent::Held {
                        id: *id,
                        location: c.location.to_string(),
                        held: now - c.since,
                    });
                }
            }
            s.leaks.extend(found);
        }
        // Refill to min_idle in the background without taking a permit a waiter is queued for,
        // and never past max_size: idle connections already stand for free permits.
        while inner.may_grow_idle() {
            let Ok(permit) = inner.semaphore.clone().try_acquire_owned() else {
                break;
            };
            if !inner.may_grow_idle() {
                break;
            }
            match inner.create(&permit).await {
                Ok((conn, meta)) => inner.push_idle(conn, meta),
                Err(_) => break,
            }
            drop(permit);
        }
    }
}

#[cfg(test)]
mod tests;
