//! `poolcheck saturate`: a short, bounded saturation check of a live server (PostgreSQL,
//! MySQL, MariaDB, Redis) through poolcheck's own pool, with measured waits beside the Erlang C
//! prediction. The engine-specific part is a [`Backend`].

pub mod backend;
mod mysql;
mod outcome;
mod postgres;
mod redis;

pub use backend::{Backend, Kind, Ran, Slots, Wording};

use crate::capacity::erlang::{self, Queue, Workload};
use crate::cli::{Protocol, SaturateArgs, Scenario};
use crate::core::error::{ToolError, ToolResult};
use crate::pool::{Config, Pool, PoolError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Hard caps: the check is a probe, not a load test.
pub const MAX_DURATION: Duration = Duration::from_secs(60);
pub const MAX_POOL: u32 = 200;
pub const MAX_CLIENTS: u32 = 2_000;
pub const MAX_RPS: f64 = 50_000.0;

/// What the run measured.
#[derive(Debug, Default)]
pub struct Measured {
    pub completed: AtomicU64,
    pub timeouts: AtomicU64,
    pub errors: AtomicU64,
    pub refusals: AtomicU64,
    pub arrivals: AtomicU64,
    /// How long acquires that timed out had waited (the pool's histograms hold successes).
    pub timeout_waits: std::sync::Mutex<crate::pool::Histogram>,
}

pub struct Plan {
    pub pool: u32,
    pub clients: u32,
    pub rps: Option<f64>,
    pub duration: Duration,
    pub hold: Option<Duration>,
    pub query: String,
    pub acquire_timeout: Duration,
    pub connect_timeout: Duration,
    pub scenario: Scenario,
    pub force: bool,
    pub kind: Kind,
    /// PostgreSQL's simple or prepared protocol; None on the engines without the choice.
    pub protocol: Option<Protocol>,
    /// Unique to this run: Redis names its clients after it.
    pub run_name: String,
    /// How long each request keeps its connection on the client before the statement.
    pub client_hold: Option<Duration>,
}

fn bad(msg: impl Into<String>, help: &str) -> ToolError {
    ToolError::new(msg).with_help(help)
}

fn dur(flag: &str, t: &str) -> ToolResult<Duration> {
    crate::core::units::parse_duration(t)
        .map_err(|e| bad(format!("--{flag}: {e}"), "e.g. 10s, 40ms"))
}

pub fn plan(args: &SaturateArgs) -> ToolResult<Plan> {
    if args.pool == 0 || args.pool > MAX_POOL {
        return Err(bad(
            format!("--pool {}: must be between 1 and {MAX_POOL}", args.pool),
            "the check is bounded; test a single replica's pool",
        ));
    }
    let clients = args.clients.unwrap_or(args.pool * 2);
    if clients == 0 || clients > MAX_CLIENTS {
        return Err(bad(
            format!("--clients {clients}: must be between 1 and {MAX_CLIENTS}"),
            "closed-loop clients, e.g. 2 × the pool",
        ));
    }
    let duration = dur("duration", &args.duration)?;
    if duration.is_zero() || duration > MAX_DURATION {
        return Err(bad(
            format!(
                "--duration {}: must be between 1ms and {}s",
                args.duration,
                MAX_DURATION.as_secs()
            ),
            "a few seconds are enough to see the queue",
        ));
    }
    if let Some(r) = args.rps {
        if !(r > 0.0 && r <= MAX_RPS) {
            return Err(bad(
                format!("--rps {r}: must be in (0, {MAX_RPS}]"),
                "open-loop arrivals per second",
            ));
        }
    }
    let hold = args.hold.as_deref().map(|h| dur("hold", h)).transpose()?;
    if hold.is_some_and(|h| h > Duration::from_secs(10)) {
        return Err(bad(
            "--hold above 10s",
            "hold a connection for milliseconds, as a query does",
        ));
    }
    let kind = Kind::of(args.url.as_deref());
    let protocol = match (kind, args.protocol) {
        (Kind::Postgres, p) => Some(p.unwrap_or_default()),
        (_, None) => None,
        (_, Some(p)) => {
            return Err(bad(
                format!(
                    "--protocol {}: the protocol choice is PostgreSQL's; this URL names {}",
                    p.name(),
                    if kind == Kind::Redis {
                        "Redis"
                    } else {
                        "MySQL/MariaDB"
                    }
                ),
                "drop --protocol, or give a postgres:// URL",
            ));
        }
    };
    let run_name = crate::db::redis::saturate::run_name();
    let query = match (&args.query, hold) {
        (Some(q), _) => q.clone(),
        (None, Some(h)) => kind.hold_statement(h),
        (None, None) => kind.default_statement().into(),
    };
    if query.trim().is_empty() {
        return Err(bad(
            "--query is empty",
            "give the statement (or Redis command) each client runs",
        ));
    }
    let acquire_timeout = dur("acquire-timeout", &args.acquire_timeout)?;
    if acquire_timeout.is_zero() || acquire_timeout > Duration::from_secs(60) {
        return Err(bad(
            "--acquire-timeout must be between 1ms and 60s",
            "e.g. 5s",
        ));
    }
    let connect_timeout = dur("connect-timeout", &args.connect_timeout)?;
    if args.scenario == Scenario::Spike && hold.is_none() && args.rps.is_none() {
        return Err(bad(
            "--scenario spike needs --hold (to know the pool's capacity) or --rps",
            "e.g. --hold 10ms",
        ));
    }
    Ok(Plan {
        pool: args.pool,
        clients,
        rps: args.rps,
        duration,
        hold,
        query,
        acquire_timeout,
        connect_timeout,
        scenario: args.scenario,
        force: args.force,
        kind,
        protocol,
        run_name,
        client_hold: hold.filter(|_| kind.holds_on_client() && args.query.is_none()),
    })
}

/// Runs the plan against the server the URL (else the environment) names, on one thread, and
/// returns what it measured.
pub fn run_plan(plan: &Plan, url: Option<&str>) -> ToolResult<Outcome> {
    // One thread: the client's tasks and tokio-postgres's connection tasks hand queries to each
    // other without cross-thread wake-ups, which measured ~10% faster than two workers on
    // SELECT 1 (and leaves the other core to the server when both share a machine).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ToolError::new(format!("cannot start the async runtime: {e}")))?;
    match plan.kind {
        Kind::Postgres => {
            let backend = postgres::Postgres::new(crate::db::postgres::ConnTarget::resolve(url)?);
            rt.block_on(execute(plan, backend))
        }
        Kind::Mysql => {
            let backend = mysql::Mysql::new(crate::db::mysql::MyTarget::resolve(url)?);
            rt.block_on(execute(plan, backend))
        }
        Kind::Redis => {
            // Without a URL argument the run is here because DATABASE_URL names Redis.
            let from_env = std::env::var("DATABASE_URL").ok();
            let target = match url {
                Some(u) => crate::db::redis::Target::parse(u, "the URL argument")?,
                None => crate::db::redis::Target::parse(
                    from_env.as_deref().unwrap_or_default(),
                    "DATABASE_URL",
                )?,
            };
            let backend = redis::Redis::new(target, plan.run_name.clone());
            rt.block_on(execute(plan, backend))
        }
    }
}

pub use outcome::Outcome;

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

async fn execute<B: Backend>(plan: &Plan, backend: B) -> ToolResult<Outcome> {
    // The observer checks slots before and leftovers after; it is not part of the pool.
    let mut observer = backend.observe(plan.connect_timeout).await?;
    let Slots { free, detail } = backend.preflight(&mut observer).await?;
    if i64::from(plan.pool) > free && !plan.force {
        return Err(bad(
            format!("a pool of {} would not fit: the server has {free} free slots ({detail})", plan.pool),
            "test a smaller pool, free connections, or pass --force to see the refusals your fleet would see",
        ));
    }
    let statement_timeout = plan.hold.map_or(Duration::from_secs(30), |h| {
        (h * 20).max(Duration::from_secs(5))
    });
    let manager = backend.manager(plan.connect_timeout, statement_timeout);
    let config = Config {
        max_size: plan.pool,
        min_idle: plan.pool,
        acquire_timeout: plan.acquire_timeout,
        idle_timeout: None,
        max_lifetime: None,
        ..Config::default()
    };
    let pool = Pool::new(manager, config);
    let measured = Arc::new(Measured::default());
    let ctx = Arc::new(Shared::<B> {
        pool: pool.clone(),
        query: plan.query.clone(),
        protocol: plan.protocol.unwrap_or_default(),
        client_hold: plan.client_hold,
        m: measured.clone(),
    });
    let mut warm_refused = None;
    let (_, err) = pool.warm_up().await;
    if let Some(e) = err {
        match B::refusal(&e) {
            Some(message) => {
                measured.refusals.fetch_add(1, Ordering::Relaxed);
                warm_refused = Some(message);
            }
            None => {
                pool.close();
                return Err(B::fatal(e));
            }
        }
    }
    let progress = outcome::progress(plan.duration);
    let start = Instant::now();
    let mut recovery = None;
    let load = async {
        match plan.scenario {
            Scenario::Exhaust => exhaust(ctx.clone(), plan.pool, plan.clients, plan.duration).await,
            Scenario::Steady => match plan.rps {
                Some(r) => open_loop(ctx.clone(), move |_| r, plan.duration).await,
                None => closed_loop(ctx.clone(), plan.clients, plan.duration).await,
            },
            Scenario::Spike => {
                let (rate, burst_to) = spike_rate(plan);
                let watcher = async {
                    tokio::time::sleep(burst_to).await;
                    let end = Instant::now();
                    loop {
                        if pool.snapshot().waiters == 0 {
                            return Some(end.elapsed());
                        }
                        if end.elapsed() > plan.duration {
                            return None;
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                };
                let (_, r) = tokio::join!(open_loop(ctx.clone(), rate, plan.duration), watcher);
                recovery = r;
            }
        }
    };
    let interrupted = tokio::select! {
        _ = load => false,
        _ = tokio::signal::ctrl_c() => true,
        _ = outcome::tick(&progress, start) => false,
    };
    let elapsed = start.elapsed();
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    let snapshot = pool.snapshot();
    pool.close();
    drop(ctx);
    drop(pool);
    // Every session this run opened must be gone from the server.
    let mut leaked = None;
    for _ in 0..40 {
        leaked = backend.left(&mut observer).await;
        if leaked != Some(0) {
            if leaked.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        break;
    }
    backend.close(observer).await;
    let prediction = predict(&snapshot, plan, elapsed, &measured);
    Ok(Outcome::new(
        plan,
        &measured,
        snapshot,
        elapsed,
        leaked,
        prediction,
        recovery,
        interrupted,
        warm_refused,
        free,
        B::WORDING,
    ))
}

/// Spike: 80% of the pool's capacity (c / hold, or --rps as the 80% level), with a burst to
/// 120% from 40% to 60% of the run. Returns the rate function and when the burst ends.
pub fn spike_rate(plan: &Plan) -> (impl Fn(Duration) -> f64 + Copy, Duration) {
    let capacity = plan.rps.map_or_else(
        || f64::from(plan.pool) / plan.hold.map_or(1.0, |h| h.as_secs_f64()),
        |r| r / 0.8,
    );
    let (from, to) = (plan.duration.mul_f64(0.4), plan.duration.mul_f64(0.6));
    (
        move |t: Duration| {
            if t >= from && t < to {
                1.2 * capacity
            } else {
                0.8 * capacity
            }
        },
        to,
    )
}

/// Erlang C for the measured arrival rate and hold time at the tested pool size.
fn predict(
    s: &crate::pool::Snapshot,
    plan: &Plan,
    elapsed: Duration,
    m: &Measured,
) -> Option<(f64, Option<f64>)> {
    if plan.scenario == Scenario::Exhaust {
        return None; // every connection is held on purpose: there is no queue to model
    }
    let acquires = s.acquire_wait().count() as f64 + m.timeouts.load(Ordering::Relaxed) as f64;
    let hold_ms = s.hold.mean_ms();
    if acquires == 0.0 || hold_ms <= 0.0 {
        return None;
    }
    let w = Workload::poisson(
        acquires / elapsed.as_secs_f64(),
        Duration::from_secs_f64(hold_ms / 1000.0),
    );
    Some(match erlang::analyze(&w, plan.pool) {
        Queue::Stable(q) => (q.p_wait, Some(q.wait_quantile(0.99) * 1000.0)),
        Queue::Unstable { .. } => (1.0, None),
    })
}

/// What every request task needs, shared.
struct Shared<B: Backend> {
    pool: Pool<B::Manager>,
    query: String,
    protocol: Protocol,
    client_hold: Option<Duration>,
    m: Arc<Measured>,
}

async fn one_request<B: Backend>(ctx: &Shared<B>) {
    let m = &ctx.m;
    match ctx.pool.get().await {
        Ok(mut conn) => {
            if let Some(h) = ctx.client_hold {
                tokio::time::sleep(h).await;
            }
            match B::run(&mut conn, &ctx.query, ctx.protocol).await {
                Ran::Ok => {
                    m.completed.fetch_add(1, Ordering::Relaxed);
                }
                Ran::Failed { broken } => {
                    m.errors.fetch_add(1, Ordering::Relaxed);
                    if broken {
                        conn.mark_broken();
                    }
                }
            }
        }
        Err(PoolError::Timeout { waited }) => {
            m.timeouts.fetch_add(1, Ordering::Relaxed);
            m.timeout_waits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .record(waited);
        }
        Err(PoolError::Create(e)) if B::refusal(&e).is_some() => {
            m.refusals.fetch_add(1, Ordering::Relaxed);
        }
        Err(_) => {
            m.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// M clients, each its own task (so both runtime threads drive the load), looping until the
/// deadline.
async fn closed_loop<B: Backend>(ctx: Arc<Shared<B>>, clients: u32, duration: Duration) {
    let deadline = Instant::now() + duration;
    // A JoinSet aborts its tasks when dropped, so Ctrl-C (which drops this future) stops them.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let ctx = ctx.clone();
        tasks.spawn(async move {
            while Instant::now() < deadline {
                ctx.m.arrivals.fetch_add(1, Ordering::Relaxed);
                one_request(&ctx).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Poisson arrivals at `rate(t)` per second, each its own task; at most 10,000 outstanding so a
/// server that stops answering cannot pile up unbounded work.
async fn open_loop<B: Backend>(
    ctx: Arc<Shared<B>>,
    rate: impl Fn(Duration) -> f64,
    duration: Duration,
) {
    let start = Instant::now();
    let mut next = start;
    let mut running = tokio::task::JoinSet::new();
    loop {
        let t = next.duration_since(start);
        if t >= duration {
            break;
        }
        // Wait for the arrival instant, reaping finished requests meanwhile.
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next.into()) => break,
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
        if running.len() >= 10_000 {
            ctx.m.errors.fetch_add(1, Ordering::Relaxed);
        } else {
            ctx.m.arrivals.fetch_add(1, Ordering::Relaxed);
            let c = ctx.clone();
            running.spawn(async move { one_request(&c).await });
        }
        let r = rate(t).max(1e-9);
        next += Duration::from_secs_f64(-(1.0 - rand::random::<f64>()).ln() / r);
    }
    while running.join_next().await.is_some() {}
}

/// Holds every connection for the whole run, and keeps up to eight clients asking for one
/// more until the duration ends, so the report shows what acquirers meet on an exhausted
/// pool (each attempt fails at the acquire timeout) for as long as the user asked.
async fn exhaust<B: Backend>(
    ctx: Arc<Shared<B>>,
    pool_size: u32,
    clients: u32,
    duration: Duration,
) {
    let start = Instant::now();
    let mut held = Vec::new();
    for _ in 0..pool_size {
        match ctx.pool.get().await {
            Ok(c) => held.push(c),
            Err(PoolError::Create(e)) if B::refusal(&e).is_some() => {
                ctx.m.refusals.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                ctx.m.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..clients.min(8) {
        let ctx = ctx.clone();
        attempts.spawn(async move {
            // At least one attempt each, even when the hold-all phase used up the duration.
            loop {
                ctx.m.arrivals.fetch_add(1, Ordering::Relaxed);
                one_request(&ctx).await;
                if start.elapsed() >= duration {
                    break;
                }
            }
        });
    }
    while attempts.join_next().await.is_some() {}
    drop(held);
}
