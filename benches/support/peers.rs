//! No-op connection managers for poolcheck's pool and its peers, shared by the benches.
#![allow(dead_code)]

use std::convert::Infallible;

pub struct Noop;

impl poolcheck::pool::Manager for Noop {
    type Conn = ();
    type Error = Infallible;
    async fn create(&self) -> Result<(), Infallible> {
        Ok(())
    }
    async fn validate(&self, _: &mut ()) -> Result<(), Infallible> {
        Ok(())
    }
    fn is_broken(&self, _: &()) -> bool {
        false
    }
}

pub struct DeadpoolNoop;

impl deadpool::managed::Manager for DeadpoolNoop {
    type Type = ();
    type Error = Infallible;
    async fn create(&self) -> Result<(), Infallible> {
        Ok(())
    }
    async fn recycle(
        &self,
        _: &mut (),
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<Infallible> {
        Ok(())
    }
}

pub struct Bb8Noop;

impl bb8::ManageConnection for Bb8Noop {
    type Connection = ();
    type Error = Infallible;
    async fn connect(&self) -> Result<(), Infallible> {
        Ok(())
    }
    async fn is_valid(&self, _: &mut ()) -> Result<(), Infallible> {
        Ok(())
    }
    fn has_broken(&self, _: &mut ()) -> bool {
        false
    }
}

pub fn ours(size: u32) -> poolcheck::pool::Pool<Noop> {
    poolcheck::pool::Pool::new(
        Noop,
        poolcheck::pool::Config {
            max_size: size,
            acquire_timeout: std::time::Duration::from_secs(30),
            ..Default::default()
        },
    )
}

pub fn deadpool(size: u32) -> deadpool::managed::Pool<DeadpoolNoop> {
    deadpool::managed::Pool::builder(DeadpoolNoop)
        .max_size(size as usize)
        .build()
        .expect("deadpool builds")
}

pub async fn bb8(size: u32) -> bb8::Pool<Bb8Noop> {
    // No check-out test: the no-op manager has nothing to test, and ours skips recently used ones.
    bb8::Pool::builder()
        .max_size(size)
        .test_on_check_out(false)
        .connection_timeout(std::time::Duration::from_secs(30))
        .build(Bb8Noop)
        .await
        .expect("bb8 builds")
}
