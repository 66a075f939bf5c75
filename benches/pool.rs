//! Acquire+release throughput of poolcheck's pool core against deadpool and bb8, side by side in
//! one run, with no-op connections on contended configurations (tasks / connections / runtime
//! worker threads). Each sample: every task does 64 acquire → yield → release cycles, repeated
//! until about 200,000 cycles are done. Rounds alternate the pools (ABC, BCA, CAB, ...) so drift
//! on a shared machine hits all three alike; the ratios are printed min / median / max over the
//! rounds, with the p99 acquire latency of each pool over all rounds.
//!
//! `POOL_BENCH_ROUNDS` (default 5) sets the number of rounds. `POOL_BENCH_ONLY=deadpool` (or
//! poolcheck, bb8) runs one pool alone, for `perf stat -e instructions` or a profiler; it prints
//! no ratios.

#[path = "support/peers.rs"]
mod peers;

use std::time::{Duration, Instant};

const CYCLES: u64 = 64;
const TARGET_CYCLES: u64 = 200_000;
/// (tasks, connections, worker threads)
const CONFIGS: [(u32, u32, usize); 4] = [(8, 2, 2), (32, 8, 2), (256, 16, 2), (64, 8, 4)];
const NAMES: [&str; 3] = ["poolcheck", "deadpool", "bb8"];

macro_rules! drive {
    ($pool:expr, $tasks:expr, $iters:expr) => {{
        let mut lat: Vec<u64> = Vec::new();
        let t0 = Instant::now();
        for _ in 0..$iters {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..$tasks {
                let p = $pool.clone();
                set.spawn(async move {
                    let mut l = Vec::with_capacity(CYCLES as usize);
                    for _ in 0..CYCLES {
                        let a = Instant::now();
                        let c = p.get().await.unwrap();
                        l.push(a.elapsed().as_nanos() as u64);
                        tokio::task::yield_now().await;
                        drop(c);
                    }
                    l
                });
            }
            while let Some(l) = set.join_next().await {
                lat.extend(l.unwrap());
            }
        }
        (t0.elapsed(), lat)
    }};
}

fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn p99(v: &mut [u64]) -> Duration {
    v.sort_unstable();
    Duration::from_nanos(v[(v.len() * 99 / 100).min(v.len() - 1)])
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks configurations by label.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let rounds: usize = std::env::var("POOL_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let only: Option<usize> = std::env::var("POOL_BENCH_ONLY").ok().map(|v| {
        NAMES
            .iter()
            .position(|n| *n == v)
            .expect("poolcheck, deadpool or bb8")
    });
    for (tasks, conns, workers) in CONFIGS {
        let label = format!("{tasks}tasks_{conns}conns_{workers}workers");
        if filter.as_ref().is_some_and(|f| !label.contains(f.as_str())) {
            continue;
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap();
        let ours = rt.block_on(async { peers::ours(conns) });
        let dp = rt.block_on(async { peers::deadpool(conns) });
        let b8 = rt.block_on(peers::bb8(conns));
        let per_iter = u64::from(tasks) * CYCLES;
        let iters = TARGET_CYCLES.div_ceil(per_iter);
        let ops = (iters * per_iter) as f64;
        let mut rate = [Vec::new(), Vec::new(), Vec::new()];
        let mut lat: [Vec<u64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        // One untimed warm-up sample each.
        rt.block_on(async {
            drive!(ours, tasks, 1);
            drive!(dp, tasks, 1);
            drive!(b8, tasks, 1);
        });
        for r in 0..rounds {
            for k in 0..3 {
                let which = (r + k) % 3;
                if only.is_some_and(|o| o != which) {
                    continue;
                }
                let (t, l) = rt.block_on(async {
                    match which {
                        0 => drive!(ours, tasks, iters),
                        1 => drive!(dp, tasks, iters),
                        _ => drive!(b8, tasks, iters),
                    }
                });
                rate[which].push(ops / t.as_secs_f64());
                lat[which].extend(l);
            }
        }
        println!(
            "acquire_release/{label}  ({rounds} rounds, {} cycles each)",
            ops as u64
        );
        for k in 0..3 {
            if rate[k].is_empty() {
                continue;
            }
            let (lo, med, hi) = stats(&mut rate[k].clone());
            println!(
                "  {:<10} {:>6.2} / {:>6.2} / {:>6.2} M cycles/s (min/med/max)   p99 acquire {:>9.1?}",
                NAMES[k],
                lo / 1e6,
                med / 1e6,
                hi / 1e6,
                p99(&mut lat[k])
            );
        }
        if only.is_some() {
            continue;
        }
        for (k, name) in [(1, "deadpool"), (2, "bb8")] {
            let mut ratio: Vec<f64> = (0..rounds).map(|r| rate[0][r] / rate[k][r]).collect();
            let (lo, med, hi) = stats(&mut ratio);
            println!(
                "  poolcheck ÷ {name:<8} {lo:.2} / {med:.2} / {hi:.2} (min/med/max per round)"
            );
        }
    }
}
