//! Pool core behaviour: cancellation safety matrix, FIFO fairness, the acquire deadline,
//! leak reports, eviction and replacement.

use super::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Behaviour {
    Ok,
    Error,
    Slow,
    Never,
}

struct TestConn {
    broken: Arc<AtomicBool>,
}

struct TestManager {
    behaviour: Behaviour,
    validate_delay: Duration,
    created: AtomicU64,
    broken: Arc<AtomicBool>,
}

impl TestManager {
    fn new(behaviour: Behaviour) -> TestManager {
        TestManager {
            behaviour,
            validate_delay: Duration::ZERO,
            created: AtomicU64::new(0),
            broken: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Manager for TestManager {
    type Conn = TestConn;
    type Error = String;
    async fn create(&self) -> Result<TestConn, String> {
        match self.behaviour {
            Behaviour::Ok => {}
            Behaviour::Error => return Err("refused".into()),
            Behaviour::Slow => tokio::time::sleep(Duration::from_millis(40)).await,
            Behaviour::Never => std::future::pending::<()>().await,
        }
        self.created.fetch_add(1, Ordering::SeqCst);
        Ok(TestConn {
            broken: self.broken.clone(),
        })
    }
    async fn validate(&self, _: &mut TestConn) -> Result<(), String> {
        tokio::time::sleep(self.validate_delay).await;
        Ok(())
    }
    fn is_broken(&self, c: &TestConn) -> bool {
        c.broken.load(Ordering::SeqCst)
    }
}

fn config(max: u32) -> Config {
    Config {
        max_size: max,
        acquire_timeout: Duration::from_millis(300),
        maintenance_interval: Duration::from_millis(10),
        ..Config::default()
    }
}

async fn assert_at_rest<M: Manager>(pool: &Pool<M>) {
    // Let spawned drops and maintenance settle.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let s = pool.snapshot();
    assert!(
        s.size <= i64::from(s.max_size),
        "size {} > max {}",
        s.size,
        s.max_size
    );
    assert_eq!(
        s.idle + s.in_use,
        s.size,
        "idle {} + in_use {} != size {}",
        s.idle,
        s.in_use,
        s.size
    );
    assert_eq!(s.waiters, 0, "waiters at rest");
    assert_eq!(s.creating, 0, "creating at rest");
    assert_eq!(s.in_use, 0, "in use at rest");
}

#[derive(Clone, Copy, Debug)]
enum CancelAt {
    WaitingForPermit,
    Creating,
    Validating,
    AfterAcquire,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_matrix_leaks_nothing() {
    for behaviour in [
        Behaviour::Ok,
        Behaviour::Error,
        Behaviour::Slow,
        Behaviour::Never,
    ] {
        for at in [
            CancelAt::WaitingForPermit,
            CancelAt::Creating,
            CancelAt::Validating,
            CancelAt::AfterAcquire,
        ] {
            let mut m = TestManager::new(behaviour);
            m.validate_delay = Duration::from_millis(50);
            let mut cfg = config(2);
            cfg.validation_bypass = Duration::ZERO;
            let pool = Pool::new(m, cfg);
            match at {
                CancelAt::WaitingForPermit => {
                    // Fill the pool (when the manager can), then abandon a queued acquire.
                    let held: Vec<_> = if behaviour == Behaviour::Ok || behaviour == Behaviour::Slow
                    {
                        vec![pool.get().await.unwrap(), pool.get().await.unwrap()]
                    } else {
                        vec![]
                    };
                    let _ = tokio::time::timeout(Duration::from_millis(5), pool.get()).await;
                    drop(held);
                }
                CancelAt::Creating => {
                    let _ = tokio::time::timeout(Duration::from_millis(5), pool.get()).await;
                }
                CancelAt::Validating => {
                    if matches!(behaviour, Behaviour::Ok | Behaviour::Slow) {
                        drop(pool.get().await.unwrap());
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        let r = tokio::time::timeout(Duration::from_millis(10), pool.get()).await;
                        assert!(
                            r.is_err(),
                            "validation takes 50 ms, so the acquire was cancelled mid-way"
                        );
                        assert_eq!(pool.snapshot().closed_cancelled, 1, "{behaviour:?}");
                    }
                }
                CancelAt::AfterAcquire => {
                    if let Ok(Ok(c)) =
                        tokio::time::timeout(Duration::from_millis(100), pool.get()).await
                    {
                        drop(c);
                    }
                }
            }
            assert_at_rest(&pool).await;
            eprintln!("ok: {behaviour:?} × {at:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_are_served_first_in_first_out() {
    let pool = Pool::new(
        TestManager::new(Behaviour::Ok),
        Config {
            acquire_timeout: Duration::from_secs(5),
            ..config(1)
        },
    );
    let first = pool.get().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (pool, order) = (pool.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let c = pool.get().await.unwrap();
            order.lock().unwrap().push(i);
            tokio::time::sleep(Duration::from_millis(1)).await;
            drop(c);
        }));
        // Each waiter is queued before the next arrives.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    drop(first);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..16).collect::<Vec<_>>());
    assert_at_rest(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acquire_times_out_at_the_deadline() {
    let pool = Pool::new(
        TestManager::new(Behaviour::Ok),
        Config {
            acquire_timeout: Duration::from_millis(150),
            ..config(1)
        },
    );
    let held = pool.get().await.unwrap();
    let start = Instant::now();
    match pool.get().await {
        Err(PoolError::Timeout { waited }) => {
            assert!(
                waited >= Duration::from_millis(150) && waited < Duration::from_millis(250),
                "{waited:?}"
            );
        }
        Err(e) => panic!("expected a timeout, got {e}"),
        Ok(_) => panic!("expected a timeout, got a connection"),
    }
    assert!(start.elapsed() < Duration::from_millis(300));
    assert_eq!(pool.snapshot().timeouts, 1);
    drop(held);
    // A manager that never connects also ends at the deadline, not later.
    let never = Pool::new(
        TestManager::new(Behaviour::Never),
        Config {
            acquire_timeout: Duration::from_millis(100),
            ..config(1)
        },
    );
    let start = Instant::now();
    assert!(matches!(never.get().await, Err(PoolError::Timeout { .. })));
    assert!(start.elapsed() < Duration::from_millis(200));
    assert_at_rest(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_errors_surface_at_the_deadline() {
    let pool = Pool::new(TestManager::new(Behaviour::Error), config(1));
    match pool.get().await {
        Err(PoolError::Create(e)) => assert_eq!(e, "refused"),
        other => panic!("expected a create error, got {:?}", other.map(|_| ())),
    }
    assert!(pool.snapshot().create_errors >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaks_are_reported_once_with_their_location_and_on_return() {
    let pool = Pool::new(
        TestManager::new(Behaviour::Ok),
        Config {
            leak_threshold: Some(Duration::from_millis(40)),
            ..config(2)
        },
    );
    let c = pool.get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let events = pool.leak_events();
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0] {
        LeakEvent::Held { location, held, .. } => {
            assert!(location.contains("src/pool/tests.rs"), "{location}");
            assert!(*held >= Duration::from_millis(40));
        }
        e => panic!("{e:?}"),
    }
    drop(c);
    let events = pool.leak_events();
    assert!(
        matches!(events.last(), Some(LeakEvent::Returned { held, .. }) if *held >= Duration::from_millis(120)),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_above_min_idle_are_evicted() {
    let cfg = Config {
        min_idle: 1,
        idle_timeout: Some(Duration::from_millis(40)),
        ..config(4)
    };
    let pool = Pool::new(TestManager::new(Behaviour::Ok), cfg);
    let conns = vec![
        pool.get().await.unwrap(),
        pool.get().await.unwrap(),
        pool.get().await.unwrap(),
    ];
    drop(conns);
    assert_eq!(pool.snapshot().idle, 3);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let s = pool.snapshot();
    assert_eq!(s.idle, 1, "min_idle stays");
    assert_eq!(s.closed_idle, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifetime_expiry_and_broken_connections_are_replaced() {
    let cfg = Config {
        min_idle: 2,
        max_lifetime: Some(Duration::from_millis(60)),
        lifetime_jitter: 0.0,
        ..config(2)
    };
    let pool = Pool::new(TestManager::new(Behaviour::Ok), cfg);
    let (opened, err) = pool.warm_up().await;
    assert_eq!((opened, err.is_none()), (2, true));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let s = pool.snapshot();
    assert!(s.closed_lifetime >= 2, "{s:?}");
    assert_eq!(s.idle, 2, "refilled to min_idle");

    let m = TestManager::new(Behaviour::Ok);
    let flag = m.broken.clone();
    let pool = Pool::new(
        m,
        Config {
            min_idle: 1,
            ..config(2)
        },
    );
    let c = pool.get().await.unwrap();
    flag.store(true, Ordering::SeqCst);
    drop(c);
    flag.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(60)).await;
    let s = pool.snapshot();
    assert_eq!(s.closed_broken, 1);
    assert_eq!(s.idle, 1, "replaced in the background");
    assert!(s.created >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_add_up() {
    let pool = Pool::new(TestManager::new(Behaviour::Ok), config(2));
    for _ in 0..10 {
        let c = pool.get().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
        drop(c);
    }
    let s = pool.snapshot();
    assert_eq!(s.acquire_wait().count(), 10);
    assert_eq!(s.hold.count(), 10);
    assert!(s.hold.quantile_ms(0.5) >= 2.0);
    assert!(
        s.utilization > 0.0 && s.utilization <= 1.0,
        "{}",
        s.utilization
    );
    assert_eq!(s.created, 1, "one connection reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_never_exceeds_max_with_min_idle_under_load() {
    let pool = Pool::new(
        TestManager::new(Behaviour::Slow),
        Config {
            min_idle: 4,
            acquire_timeout: Duration::from_secs(5),
            ..config(4)
        },
    );
    let _ = pool.warm_up().await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (pool, stop) = (pool.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let c = pool.get().await.unwrap();
                tokio::time::sleep(Duration::from_millis(3)).await;
                drop(c);
            }
        }));
    }
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let s = pool.snapshot();
        assert!(
            s.size + s.creating <= 4,
            "size {} + creating {} > 4",
            s.size,
            s.creating
        );
    }
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        pool.snapshot().created,
        4,
        "warm connections are reused, never topped up past max"
    );
    assert_at_rest(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_connect_never_blocks_a_waiter_a_returned_connection_can_serve() {
    // Every connect takes 40 ms.
    let pool = Pool::new(
        TestManager::new(Behaviour::Slow),
        Config {
            acquire_timeout: Duration::from_secs(5),
            ..config(2)
        },
    );
    let held = pool.get().await.unwrap();
    // The second acquire has to connect: 1 in use + 1 creating fills the pool.
    let creating = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.get().await.map(|_| Instant::now()) })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(pool.snapshot().creating, 1);
    // A third acquire queues behind them.
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.get().await.map(|_| Instant::now()) })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let released = Instant::now();
    drop(held);
    let served = waiter.await.unwrap().unwrap();
    assert!(
        served - released < Duration::from_millis(15),
        "the waiter got the returned connection at once, not after the connect"
    );
    let created_at = creating.await.unwrap().unwrap();
    assert!(
        created_at > served,
        "the slow connect finished after the waiter was served"
    );
    assert_at_rest(&pool).await;
}

/// Fails connects while `down` is set, as a server refusing then coming back.
struct Flaky {
    down: Arc<AtomicBool>,
    attempts: AtomicU64,
}

impl Manager for Flaky {
    type Conn = ();
    type Error = String;
    async fn create(&self) -> Result<(), String> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            Err("connection refused".into())
        } else {
            Ok(())
        }
    }
    async fn validate(&self, _: &mut ()) -> Result<(), String> {
        Ok(())
    }
    fn is_broken(&self, _: &()) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_opens_fails_fast_probes_and_closes() {
    let down = Arc::new(AtomicBool::new(true));
    let pool = Pool::new(
        Flaky {
            down: down.clone(),
            attempts: AtomicU64::new(0),
        },
        Config {
            breaker_threshold: 3,
            breaker_backoff: Duration::from_millis(150),
            ..config(2)
        },
    );
    // Retries inside one acquire trip the breaker after 3 failures: that acquire reports the
    // server's error, and it stops dialling.
    match pool.get().await {
        Err(PoolError::Create(e)) => assert_eq!(e, "connection refused"),
        other => panic!("expected the connect error, got {:?}", other.map(|_| ())),
    }
    let attempts = pool.inner.manager.attempts.load(Ordering::SeqCst);
    assert_eq!(attempts, 3, "no connect after the breaker opened");
    let s = pool.snapshot();
    assert_eq!(s.breaker.state, BreakerState::Open);
    assert_eq!(s.breaker.opened, 1);
    assert_eq!(s.breaker.events.len(), 1);
    assert_eq!(s.breaker.events[0].failures, 3);

    // While open, an acquire fails at once with the breaker's error and dials nothing.
    match pool.get().await {
        Err(e @ PoolError::BreakerOpen { .. }) => {
            assert!(e.to_string().contains("circuit breaker is open"), "{e}");
        }
        other => panic!("expected a fail-fast refusal, got {:?}", other.map(|_| ())),
    }
    assert_eq!(pool.inner.manager.attempts.load(Ordering::SeqCst), 3);
    assert!(pool.snapshot().refusals >= 1);

    // The server comes back; after the back-off one probe connects and the breaker closes.
    down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = pool.get().await.expect("the probe connects");
    drop(c);
    assert_eq!(pool.inner.manager.attempts.load(Ordering::SeqCst), 4);
    let s = pool.snapshot();
    assert_eq!(s.breaker.state, BreakerState::Closed);
    let path: Vec<_> = s.breaker.events.iter().map(|e| e.to).collect();
    assert_eq!(
        path,
        [
            BreakerState::Open,
            BreakerState::HalfOpen,
            BreakerState::Closed
        ]
    );
    assert_at_rest(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_probe_reopens_the_breaker() {
    let pool = Pool::new(
        Flaky {
            down: Arc::new(AtomicBool::new(true)),
            attempts: AtomicU64::new(0),
        },
        Config {
            breaker_threshold: 2,
            breaker_backoff: Duration::from_millis(100),
            acquire_timeout: Duration::from_millis(60),
            ..config(1)
        },
    );
    assert!(pool.get().await.is_err());
    assert!(pool.get().await.is_err());
    tokio::time::sleep(Duration::from_millis(130)).await;
    assert!(matches!(pool.get().await, Err(PoolError::Create(_))));
    let s = pool.snapshot();
    let path: Vec<_> = s.breaker.events.iter().map(|e| e.to).collect();
    assert_eq!(
        path,
        [
            BreakerState::Open,
            BreakerState::HalfOpen,
            BreakerState::Open
        ]
    );
    assert_eq!(s.breaker.opened, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_valid_openmetrics() {
    let pool = Pool::new(TestManager::new(Behaviour::Ok), config(2));
    for _ in 0..5 {
        let c = pool.get().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
        drop(c);
    }
    let text = metrics::openmetrics(&pool.snapshot(), "pc");
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut typed = std::collections::HashMap::new();
    let mut helped = std::collections::HashSet::new();
    let mut last_bucket: Option<(String, u64)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            typed.insert(name.to_string(), kind.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.insert(rest.split_once(' ').unwrap().0.to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        let name = series.split('{').next().unwrap();
        let family = ["_bucket", "_count", "_sum", "_total"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        assert!(typed.contains_key(family), "no # TYPE for {line}");
        assert!(helped.contains(family), "no # HELP for {line}");
        if name.ends_with("_bucket") {
            assert!(series.contains("le=\""), "{line}");
            let v = value as u64;
            if let Some((f, prev)) = &last_bucket {
                if f == family {
                    assert!(v >= *prev, "buckets not monotone at {line}");
                }
            }
            last_bucket = Some((family.to_string(), v));
        }
    }
    assert_eq!(typed["pc_acquire_wait_seconds"], "histogram");
    assert_eq!(typed["pc_closed"], "counter");
    assert_eq!(typed["pc_in_use"], "gauge");
    assert!(
        text.contains("pc_hold_seconds_bucket{le=\"+Inf\"} 5\n"),
        "{text}"
    );
    assert!(text.contains("pc_hold_seconds_count 5\n"));
    assert!(text.contains("pc_acquire_wait_seconds_count 5\n"));
    assert!(text.contains("pc_created_total 1\n"));
    assert!(text.contains("pc_breaker_state{pc_breaker_state=\"closed\"} 1\n"));
    // 5 holds of ≥ 1 ms: nothing at or below 100 µs, their sum at least 5 ms.
    assert!(
        text.contains("pc_hold_seconds_bucket{le=\"0.0001\"} 0\n"),
        "{text}"
    );
    let sum: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("pc_hold_seconds_sum "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(sum >= 0.005, "{sum}");
}

/// Polls a future once, as a task that is then never woken would.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    Pin::new(f).poll(&mut cx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_dropped_after_it_was_served_passes_the_connection_on() {
    let pool = Pool::new(TestManager::new(Behaviour::Ok), config(1));
    let held = pool.get().await.unwrap();
    let mut first = Box::pin(pool.get());
    let mut second = Box::pin(pool.get());
    assert!(poll_once(&mut first).is_pending(), "first queues");
    assert!(
        poll_once(&mut second).is_pending(),
        "second queues behind it"
    );
    // The returned connection goes to `first`, which is dropped before it ever runs again:
    // its grant must reach `second`, not be lost with it.
    drop(held);
    drop(first);
    let c = tokio::time::timeout(Duration::from_millis(100), second)
        .await
        .expect("second is served at once")
        .unwrap();
    assert_eq!(pool.snapshot().created, 1, "the same connection, passed on");
    drop(c);
    assert_at_rest(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slot_of_a_broken_return_goes_to_the_oldest_waiter() {
    let pool = Pool::new(TestManager::new(Behaviour::Ok), config(1));
    let mut held = pool.get().await.unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.get().await.map(|c| c.age()) })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    held.mark_broken();
    drop(held);
    let got = tokio::time::timeout(Duration::from_millis(200), waiter)
        .await
        .expect("the waiter opens a new connection under the freed slot")
        .unwrap();
    assert!(got.is_ok());
    let s = pool.snapshot();
    assert_eq!((s.created, s.closed_broken), (2, 1));
    assert_at_rest(&pool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ends_queued_acquires_and_returns_close_their_connection() {
    let pool = Pool::new(TestManager::new(Behaviour::Ok), config(1));
    let held = pool.get().await.unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.get().await.map(|_| ()) })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    pool.close();
    let r = tokio::time::timeout(Duration::from_millis(100), waiter)
        .await
        .expect("a queued acquire ends when the pool closes")
        .unwrap();
    assert!(matches!(r, Err(PoolError::Closed)), "{r:?}");
    assert!(matches!(pool.get().await, Err(PoolError::Closed)));
    drop(held);
    let s = pool.snapshot();
    assert_eq!((s.size, s.closed_shutdown), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_acquires_each_time_out_at_their_own_deadline() {
    let pool = Pool::new(
        TestManager::new(Behaviour::Ok),
        Config {
            acquire_timeout: Duration::from_millis(120),
            ..config(1)
        },
    );
    let held = pool.get().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let r = pool.get().await.map(|_| ());
            (r, start.elapsed())
        }));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    for t in tasks {
        let (r, waited) = t.await.unwrap();
        assert!(matches!(r, Err(PoolError::Timeout { .. })), "{r:?}");
        assert!(
            waited >= Duration::from_millis(120) && waited < Duration::from_millis(200),
            "each waiter ends at its own deadline, not the first one's or later: {waited:?}"
        );
    }
    assert_eq!(pool.snapshot().timeouts, 3);
    drop(held);
    assert_at_rest(&pool).await;
}
