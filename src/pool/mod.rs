//! poolcheck's own async connection pool, used by the saturation check.
//!
//! - Fair: acquires that find no free slot queue first-in-first-out, and a returned connection
//!   goes straight to the oldest waiter (bb8, r2d2 and HikariCP let newcomers barge past
//!   waiters).
//! - One acquire deadline covers the wait, validation and connecting. A waiter arms no timer of
//!   its own: every acquire has the same timeout, so the queue is in deadline order and one
//!   reaper task per pool, asleep until the oldest deadline, times waiters out.
//! - A slot stands for one live-or-being-created connection checked out, so size ≤ max always;
//!   a closed connection's slot goes to the oldest waiter, whatever is being created elsewhere.
//! - The fast path (a free slot and a recently used idle connection) takes the core lock once,
//!   arms no timer and reads the clock once; checkout statistics are recorded off the core lock
//!   (sharded).
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
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

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

/// Pool time: nanoseconds since the pool started. One clock read per event, and every
/// comparison after it is integer arithmetic.
type Ns = u64;

fn ns(d: Duration) -> Ns {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

struct Idle<C> {
    conn: C,
    meta: Meta,
    since: Ns,
}

#[derive(Clone, Copy)]
struct Meta {
    id: u64,
    created: Instant,
    /// created + lifetime − jitter.
    expires: Option<Ns>,
}

/// What a queued acquire is given, or why it stops waiting.
enum Grant<C> {
    /// Not served yet; the waker of the task to wake when it is.
    Waiting(Option<Waker>),
    /// A returned connection, handed over with its slot.
    Conn(Idle<C>),
    /// The slot of a connection that was closed: validate or open one under it.
    Slot,
    TimedOut,
    Closed,
    /// The acquire was dropped, or took what it was given.
    Gone,
}

/// One queued acquire. Its grant has its own small lock, always taken after the core lock (or
/// alone), so a waiter polls without touching the core.
struct Node<C> {
    grant: Mutex<Grant<C>>,
    deadline: Ns,
}

/// The idle queue, the waiters, the slot count, the rare-event counters and the breaker share
/// one lock: an acquire or a return takes it once; per-checkout statistics live in `Inner::hot`.
struct Core<C> {
    idle: VecDeque<Idle<C>>,
    /// Queued acquires, oldest first (so also earliest deadline first). A dropped acquire stays
    /// as `Gone` until it is reached: serving and reaping skip it.
    queue: VecDeque<Arc<Node<C>>>,
    /// Slots taken: connections checked out plus those being validated or opened (≤ max_size).
    taken: u32,
    closed: bool,
    s: State,
    circuit: Circuit,
}

impl<C> Core<C> {
    /// Gives a returned connection (or, with `None`, the slot of a closed one) to the oldest
    /// waiter still waiting; with none, the connection goes idle and the slot is freed. The
    /// waker is woken by the caller after the lock is released.
    fn hand_over(&mut self, idle: Option<Idle<C>>) -> Option<Waker> {
        while let Some(node) = self.queue.pop_front() {
            let mut grant = lock(&node.grant);
            if let Grant::Waiting(waker) = &mut *grant {
                let waker = waker.take();
                *grant = match idle {
                    Some(i) => Grant::Conn(i),
                    None => Grant::Slot,
                };
                return waker;
            }
        }
        if let Some(i) = idle {
            self.idle.push_back(i);
        }
        self.taken -= 1;
        None
    }

    /// A free slot, unless acquires are queued for it (they come first).
    fn take_slot(&mut self, max: u32) -> bool {
        let free = !self.closed && self.queue.is_empty() && self.taken < max;
        if free {
            self.taken += 1;
        }
        free
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

struct Inner<M: Manager> {
    manager: M,
    config: Config,
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

/// A slot held while a connection is validated or opened; dropped unfilled (an error, a
/// timeout, a cancelled acquire) it goes to the oldest waiter or back to the pool.
struct SlotGuard<'a, M: Manager> {
    inner: &'a Inner<M>,
    armed: bool,
}

impl<'a, M: Manager> SlotGuard<'a, M> {
    fn new(inner: &'a Inner<M>) -> Self {
        SlotGuard { inner, armed: true }
    }

    /// The slot now belongs to a checked-out connection.
    fn keep(mut self) {
        self.armed = false;
    }

    /// Parks a connection opened under the slot as idle (or hands it to a waiter).
    fn fill(mut self, conn: M::Conn, meta: Meta) {
        self.armed = false;
        let idle = Idle {
            conn,
            meta,
            since: self.inner.now(),
        };
        let waker = lock(&self.inner.core).hand_over(Some(idle));
        wake(waker);
    }
}

impl<M: Manager> Drop for SlotGuard<'_, M> {
    fn drop(&mut self) {
        if self.armed {
            let waker = lock(&self.inner.core).hand_over(None);
            wake(waker);
        }
    }
}

/// How a queued acquire ended.
enum Served<C> {
    Conn(Idle<C>),
    Slot,
    TimedOut,
    Closed,
}

/// Waits on a queued acquire's grant. Dropped before it is served, it leaves its node `Gone`;
/// dropped after, it passes on what it was given.
struct Wait<'a, M: Manager> {
    inner: &'a Inner<M>,
    node: Arc<Node<M::Conn>>,
    /// Queued in this very poll with this task's waker: a grant made since has woken it, so
    /// the first poll need not look.
    fresh: bool,
}

/// How an acquire starts: served at once (or refused), with a slot to fill, or queued.
enum Begin<M: Manager> {
    Done(Result<Pooled<M>, PoolError<M::Error>>),
    Slot,
    Queued(Arc<Node<M::Conn>>),
}

impl<M: Manager> Future for Wait<'_, M> {
    type Output = Served<M::Conn>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Served<M::Conn>> {
        let this = self.get_mut();
        if std::mem::take(&mut this.fresh) {
            return Poll::Pending;
        }
        let mut grant = lock(&this.node.grant);
        match std::mem::replace(&mut *grant, Grant::Gone) {
            Grant::Waiting(waker) => {
                let waker = match waker {
                    Some(w) if w.will_wake(cx.waker()) => w,
                    _ => cx.waker().clone(),
                };
                *grant = Grant::Waiting(Some(waker));
                Poll::Pending
            }
            Grant::Conn(i) => Poll::Ready(Served::Conn(i)),
            Grant::Slot => Poll::Ready(Served::Slot),
            Grant::TimedOut => Poll::Ready(Served::TimedOut),
            // Gone: polled again after it was served; nothing more will come.
            Grant::Closed | Grant::Gone => Poll::Ready(Served::Closed),
        }
    }
}

impl<M: Manager> Drop for Wait<'_, M> {
    fn drop(&mut self) {
        let left = std::mem::replace(&mut *lock(&self.node.grant), Grant::Gone);
        let handed = match left {
            Grant::Conn(i) => Some(Some(i)),
            Grant::Slot => Some(None),
            _ => None,
        };
        if let Some(idle) = handed {
            let waker = lock(&self.inner.core).hand_over(idle);
            wake(waker);
        }
    }
}

impl<M: Manager> Pool<M> {
    /// A pool with its maintenance and reaper tasks (needs a tokio runtime).
    pub fn new(manager: M, config: Config) -> Pool<M> {
        let max = config.max_size.max(1);
        let config = Config {
            max_size: max,
            min_idle: config.min_idle.min(max),
            ..config
        };
        let started = Instant::now();
        let inner = Arc::new(Inner {
            manager,
            core: Mutex::new(Core {
                idle: VecDeque::new(),
                queue: VecDeque::new(),
                taken: 0,
                closed: false,
                s: State::new(),
                circuit: Circuit::new(config.breaker_threshold, config.breaker_backoff, started),
            }),
            hot: Hot::new(started),
            waiters: AtomicI64::new(0),
            creating: AtomicI64::new(0),
            config,
        });
        tokio::spawn(maintain(Arc::downgrade(&inner)));
        tokio::spawn(reap(Arc::downgrade(&inner)));
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
            let Some(slot) = self.inner.try_slot() else {
                break;
            };
            match self.inner.create().await {
                Ok((conn, meta)) => {
                    slot.fill(conn, meta);
                    opened += 1;
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
            let start = inner.now();
            let deadline = start.saturating_add(ns(inner.config.acquire_timeout));
            // One lock: a free slot and a recently used idle connection, or a place in the
            // queue with this task's waker already in it.
            let queued = match std::future::poll_fn(|cx| {
                Poll::Ready(self.begin(cx, start, deadline, location))
            })
            .await
            {
                Begin::Done(r) => return r,
                Begin::Slot => None,
                Begin::Queued(node) => Some(node),
            };
            let waited = queued.is_some();
            if let Some(node) = queued {
                let _waiting = Gauge::up(&inner.waiters);
                match (Wait {
                    inner,
                    node,
                    fresh: true,
                })
                .await
                {
                    Served::Conn(idle) => {
                        let now = inner.now();
                        if inner.config.leak_threshold.is_some() {
                            self.track(&mut lock(&inner.core).s, idle.meta.id, now, location);
                        }
                        return Ok(self.pooled(idle.conn, idle.meta, now, start, true));
                    }
                    Served::Slot => {}
                    Served::TimedOut => return Err(self.timed_out(start)),
                    Served::Closed => return Err(PoolError::Closed),
                }
            }
            let slot = SlotGuard::new(inner);
            let prepare = self.prepare(slot, start, waited, location);
            match tokio::time::timeout_at(inner.instant(deadline), prepare).await {
                Ok(r) => r,
                Err(_) => Err(self.timed_out(start)),
            }
        }
    }

    fn begin(
        &self,
        cx: &Context<'_>,
        start: Ns,
        deadline: Ns,
        location: &'static Location<'static>,
    ) -> Begin<M> {
        let inner = &self.inner;
        let mut core = lock(&inner.core);
        if core.closed {
            return Begin::Done(Err(PoolError::Closed));
        }
        if !core.take_slot(inner.config.max_size) {
            let node = Arc::new(Node {
                grant: Mutex::new(Grant::Waiting(Some(cx.waker().clone()))),
                deadline,
            });
            core.queue.push_back(node.clone());
            return Begin::Queued(node);
        }
        match self.usable_idle(&mut core, start) {
            Some(idle) => {
                self.track(&mut core.s, idle.meta.id, start, location);
                drop(core);
                Begin::Done(Ok(self.pooled(idle.conn, idle.meta, start, start, false)))
            }
            None => Begin::Slot,
        }
    }

    fn timed_out(&self, start: Ns) -> PoolError<M::Error> {
        lock(&self.inner.core).s.timeouts += 1;
        PoolError::Timeout {
            waited: Duration::from_nanos(self.inner.now().saturating_sub(start)),
        }
    }

    /// The newest idle connection if it can be handed out without I/O (used within the
    /// validation bypass, not expired, not broken); `now` is the only clock read.
    fn usable_idle(&self, core: &mut Core<M::Conn>, now: Ns) -> Option<Idle<M::Conn>> {
        let inner = &self.inner;
        let usable = core.idle.back().is_some_and(|i| {
            now.saturating_sub(i.since) <= ns(inner.config.validation_bypass)
                && i.meta.expires.is_none_or(|e| now < e)
                && !inner.manager.is_broken(&i.conn)
        });
        if usable {
            core.idle.pop_back()
        } else {
            None
        }
    }

    /// Leak detection alone needs to know who holds what (under the lock the caller holds).
    fn track(&self, s: &mut State, id: u64, now: Ns, location: &'static Location<'static>) {
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

    fn pooled(&self, conn: M::Conn, meta: Meta, taken: Ns, start: Ns, waited: bool) -> Pooled<M> {
        self.inner
            .hot
            .checked_out(taken, taken.saturating_sub(start), waited);
        Pooled {
            conn: Some(conn),
            meta,
            pool: self.inner.clone(),
            taken,
            broken: false,
        }
    }

    /// The slow path under a slot: validate a stale idle connection or open a new one.
    async fn prepare(
        &self,
        slot: SlotGuard<'_, M>,
        start: Ns,
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
                    let now = inner.now();
                    if idle.meta.expires.is_some_and(|e| now >= e) {
                        inner.closed(stats::Cause::Lifetime);
                        continue;
                    }
                    let mut conn = idle.conn;
                    if now.saturating_sub(idle.since) > ns(inner.config.validation_bypass) {
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
                None => match inner.create().await {
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
                        if Duration::from_nanos(inner.now().saturating_sub(start))
                            + Duration::from_millis(50)
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
            let taken = inner.now();
            self.track(&mut lock(&inner.core).s, meta.id, taken, location);
            slot.keep();
            return Ok(self.pooled(conn, meta, taken, start, waited));
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

    /// Closes every idle connection and refuses new acquires (queued ones end with `Closed`);
    /// connections in use close when they come back.
    pub fn close(&self) {
        let (drained, wakers) = {
            let mut core = lock(&self.inner.core);
            core.closed = true;
            let mut wakers = Vec::new();
            for node in core.queue.drain(..) {
                let mut grant = lock(&node.grant);
                if let Grant::Waiting(w) = &mut *grant {
                    wakers.extend(w.take());
                    *grant = Grant::Closed;
                }
            }
            let drained: Vec<_> = core.idle.drain(..).collect();
            for _ in &drained {
                close_booked(&mut core.s, stats::Cause::Shutdown);
            }
            (drained, wakers)
        };
        drop(drained);
        for w in wakers {
            w.wake();
        }
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
    fn now(&self) -> Ns {
        ns(Instant::now().saturating_duration_since(self.hot.started))
    }

    /// A pool time as a tokio deadline (for the rare timers: connecting, reaping).
    fn instant(&self, t: Ns) -> tokio::time::Instant {
        tokio::time::Instant::from_std(
            self.hot
                .started
                .checked_add(Duration::from_nanos(t))
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365)),
        )
    }

    /// A free slot for a background open (warm-up, refill), unless acquires are queued.
    fn try_slot(&self) -> Option<SlotGuard<'_, M>> {
        lock(&self.core)
            .take_slot(self.config.max_size)
            .then(|| SlotGuard::new(self))
    }

    /// Creates a connection (the caller holds a slot for it), unless the breaker is open; the
    /// `creating` gauge is released even if the future is dropped mid-connect.
    async fn create(&self) -> Result<(M::Conn, Meta), Refused<M::Error>> {
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
                    ns(created.saturating_duration_since(self.hot.started))
                        .saturating_add(ns(l.saturating_sub(jitter)))
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
    pool: Arc<Inner<M>>,
    taken: Ns,
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
        let now = inner.now();
        let held = now.saturating_sub(self.taken);
        let expired = self.meta.expires.is_some_and(|e| now >= e);
        let broken = self.broken || inner.manager.is_broken(&conn);
        // The statistics first, so a waiter handed this connection finds the books balanced.
        inner.hot.returned(self.taken, held);
        let (doomed, waker) = {
            // One lock for the books, the idle queue and the waiters.
            let mut core = lock(&inner.core);
            let s = &mut core.s;
            if !s.checkouts.is_empty() {
                if let Some(c) = s.checkouts.remove(&self.meta.id) {
                    if c.reported {
                        s.leaks.push(LeakEvent::Returned {
                            id: self.meta.id,
                            location: c.location.to_string(),
                            held: Duration::from_nanos(held),
                        });
                    }
                }
            }
            if broken || expired || core.closed {
                let cause = if broken {
                    stats::Cause::Broken
                } else if expired {
                    stats::Cause::Lifetime
                } else {
                    stats::Cause::Shutdown
                };
                close_booked(&mut core.s, cause);
                (Some(conn), core.hand_over(None))
            } else {
                let idle = Idle {
                    conn,
                    meta: self.meta,
                    since: now,
                };
                (None, core.hand_over(Some(idle)))
            }
        };
        // Closing a connection may do I/O: outside the lock.
        drop(doomed);
        wake(waker);
    }
}

/// Times queued acquires out at their deadline. The queue is in deadline order (one timeout for
/// every acquire), so one sleep until the oldest deadline serves them all; with nobody queued
/// it sleeps one timeout, which no acquire queued meanwhile can outlast. Ends when the pool is
/// dropped or closed.
async fn reap<M: Manager>(weak: Weak<Inner<M>>) {
    loop {
        let next = {
            let Some(inner) = weak.upgrade() else { return };
            let now = inner.now();
            let mut wakers = Vec::new();
            let next = {
                let mut core = lock(&inner.core);
                if core.closed {
                    return;
                }
                while core.queue.front().is_some_and(|n| n.deadline <= now) {
                    let node = core.queue.pop_front().expect("front exists");
                    let mut grant = lock(&node.grant);
                    if let Grant::Waiting(w) = &mut *grant {
                        wakers.extend(w.take());
                        *grant = Grant::TimedOut;
                    }
                }
                let next = core.queue.front().map_or(
                    now.saturating_add(ns(inner
                        .config
                        .acquire_timeout
                        .max(Duration::from_millis(1)))),
                    |n| n.deadline,
                );
                inner.instant(next)
            };
            for w in wakers {
                w.wake();
            }
            next
        };
        tokio::time::sleep_until(next).await;
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
        if lock(&inner.core).closed {
            return;
        }
        let now = inner.now();
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
                        .is_some_and(|t| now.saturating_sub(c.since) >= ns(t))
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
                if !c.reported && now.saturating_sub(c.since) >= ns(threshold) {
                    c.reported = true;
                    found.push(LeakEvent::Held {
                        id: *id,
                        location: c.location.to_string(),
                        held: Duration::from_nanos(now.saturating_sub(c.since)),
                    });
                }
            }
            s.leaks.extend(found);
        }
        // Refill to min_idle in the background without taking a slot a waiter is queued for,
        // and never past max_size.
        while inner.may_grow_idle() {
            let Some(slot) = inner.try_slot() else {
                break;
            };
            if !inner.may_grow_idle() {
                break;
            }
            match inner.create().await {
                Ok((conn, meta)) => slot.fill(conn, meta),
                Err(_) => break,
            }
        }
    }
}

#[cfg(test)]
mod tests;
