//! FIFO fairness on a current_thread runtime: tasks repeatedly acquire, yield and release; every
//! acquire takes a ticket when it starts waiting, and an inversion is a pair served in the
//! opposite order of their tickets. Prints the count for each pool (target for ours: 0).

#[path = "support/peers.rs"]
mod peers;

use std::cell::RefCell;
use std::rc::Rc;

const TASKS: usize = 32;
const ROUNDS: usize = 8;
const CONNS: u32 = 2;

fn inversions(served: &[u64]) -> u64 {
    let mut n = 0;
    for i in 0..served.len() {
        for j in i + 1..served.len() {
            if served[i] > served[j] {
                n += 1;
            }
        }
    }
    n
}

macro_rules! measure {
    ($pool:expr, $get:ident) => {{
        let local = tokio::task::LocalSet::new();
        let served = Rc::new(RefCell::new(Vec::new()));
        let ticket = Rc::new(RefCell::new(0u64));
        local
            .run_until(async {
                let mut handles = Vec::new();
                for _ in 0..TASKS {
                    let (p, served, ticket) = ($pool.clone(), served.clone(), ticket.clone());
                    handles.push(tokio::task::spawn_local(async move {
                        for _ in 0..ROUNDS {
                            let t = {
                                let mut t = ticket.borrow_mut();
                                *t += 1;
                                *t
                            };
                            let c = p.$get().await.unwrap();
                            served.borrow_mut().push(t);
                            tokio::task::yield_now().await;
                            drop(c);
                        }
                    }));
                }
                for h in handles {
                    h.await.unwrap();
                }
            })
            .await;
        let s = served.borrow();
        (s.len(), inversions(&s))
    }};
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ours = peers::ours(CONNS);
        let (n, inv) = measure!(ours, get);
        println!(
            "fairness ({TASKS} tasks × {ROUNDS} rounds on {CONNS} connections, current_thread)"
        );
        println!("  poolcheck  acquires {n:>4}  FIFO inversions {inv}");
        let dp = peers::deadpool(CONNS);
        let (n, inv) = measure!(dp, get);
        println!("  deadpool   acquires {n:>4}  FIFO inversions {inv}");
        let b8 = peers::bb8(CONNS).await;
        let (n, inv) = measure!(b8, get);
        println!("  bb8        acquires {n:>4}  FIFO inversions {inv}");
    });
}
