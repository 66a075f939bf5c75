//! A full pool-size sweep at the largest supported load: a = 5,000, c from 5,001 to 10,000,
//! computing P(wait) and the p99 wait for every size (target: under 5 ms).

use criterion::{criterion_group, criterion_main, Criterion};
use poolcheck::capacity::erlang::{sweep, Queue, Workload};
use std::hint::black_box;
use std::time::Duration;

fn full_sweep(c: &mut Criterion) {
    let w = Workload::poisson(5000.0 / 0.04, Duration::from_millis(40));
    c.bench_function("erlang_sweep_a5000_to_c10000", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for q in sweep(black_box(&w), 10_000) {
                if let Queue::Stable(m) = q {
                    acc += m.p_wait + m.wait_quantile(0.99);
                }
            }
            black_box(acc)
        })
    });
}

criterion_group!(benches, full_sweep);
criterion_main!(benches);
