//! Acquire+release throughput of poolcheck's pool core against deadpool and bb8, side by side in
//! one run, with no-op connections on contended configurations (tasks / connections).
//! Each iteration: every task does 64 acquire → yield → release cycles.

#[path = "support/peers.rs"]
mod peers;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const CYCLES: u64 = 64;
const CONFIGS: [(u32, u32); 3] = [(8, 2), (32, 8), (256, 16)];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

macro_rules! drive {
    ($pool:expr, $tasks:expr, $get:ident) => {{
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..$tasks {
            let p = $pool.clone();
            set.spawn(async move {
                for _ in 0..CYCLES {
                    let c = p.$get().await.unwrap();
                    tokio::task::yield_now().await;
                    drop(c);
                }
            });
        }
        while set.join_next().await.is_some() {}
    }};
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    for (tasks, conns) in CONFIGS {
        let mut g = c.benchmark_group(format!("acquire_release/{tasks}tasks_{conns}conns"));
        g.throughput(Throughput::Elements(u64::from(tasks) * CYCLES));
        g.sample_size(20);
        let ours = rt.block_on(async { peers::ours(conns) });
        g.bench_function(BenchmarkId::from_parameter("poolcheck"), |b| {
            b.to_async(&rt).iter(|| async { drive!(ours, tasks, get) })
        });
        let dp = rt.block_on(async { peers::deadpool(conns) });
        g.bench_function(BenchmarkId::from_parameter("deadpool"), |b| {
            b.to_async(&rt).iter(|| async { drive!(dp, tasks, get) })
        });
        let b8 = rt.block_on(peers::bb8(conns));
        g.bench_function(BenchmarkId::from_parameter("bb8"), |b| {
            b.to_async(&rt).iter(|| async { drive!(b8, tasks, get) })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
