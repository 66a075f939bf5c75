//! Circuit breaker over opening connections: after `threshold` consecutive connect failures the
//! pool stops dialling (acquires that would connect fail at once), lets one probe through after
//! the back-off, and closes again when a connect succeeds. A refusing or restarting server is
//! then not hammered, and the run can say when it happened.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Connecting normally.
    Closed,
    /// Refusing to connect until the back-off ends.
    Open,
    /// One probe connect is allowed through.
    HalfOpen,
}

impl BreakerState {
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// One state change, `at` after the pool started.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerEvent {
    pub at: Duration,
    pub to: BreakerState,
    /// Consecutive connect failures when it changed.
    pub failures: u32,
}

/// What a snapshot shows of the breaker.
#[derive(Debug, Clone, PartialEq)]
pub struct Breaker {
    pub state: BreakerState,
    /// How many times it opened.
    pub opened: u64,
    /// State changes in order (the first `MAX_EVENTS`; `opened` keeps counting).
    pub events: Vec<BreakerEvent>,
}

/// A run that flaps for hours must not grow without bound.
const MAX_EVENTS: usize = 1000;

pub(super) struct Circuit {
    /// 0 turns the breaker off.
    threshold: u32,
    backoff: Duration,
    failures: u32,
    /// While open or half-open: no (further) connect before this.
    retry_at: Option<Instant>,
    started: Instant,
    public: Breaker,
}

impl Circuit {
    pub fn new(threshold: u32, backoff: Duration, started: Instant) -> Circuit {
        Circuit {
            threshold,
            backoff,
            failures: 0,
            retry_at: None,
            started,
            public: Breaker {
                state: BreakerState::Closed,
                opened: 0,
                events: Vec::new(),
            },
        }
    }

    pub fn view(&self) -> Breaker {
        self.public.clone()
    }

    fn change(&mut self, to: BreakerState, now: Instant) {
        if to == BreakerState::Open {
            self.public.opened += 1;
        }
        self.public.state = to;
        if self.public.events.len() < MAX_EVENTS {
            self.public.events.push(BreakerEvent {
                at: now.saturating_duration_since(self.started),
                to,
                failures: self.failures,
            });
        }
    }

    /// Whether a connect may start now; `Err(wait)` says how long until the next probe.
    /// A probe is admitted by pushing the next retry a back-off ahead, so a probe whose future
    /// is dropped mid-connect cannot wedge the breaker: another probe goes after the back-off.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        let Some(at) = self.retry_at else {
            return Ok(());
        };
        if now < at {
            return Err(at - now);
        }
        if self.public.state == BreakerState::Open {
            self.change(BreakerState::HalfOpen, now);
        }
        self.retry_at = Some(now + self.backoff);
        Ok(())
    }

    pub fn success(&mut self, now: Instant) {
        self.failures = 0;
        self.retry_at = None;
        if self.public.state != BreakerState::Closed {
            self.change(BreakerState::Closed, now);
        }
    }

    pub fn failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if self.threshold == 0 {
            return;
        }
        let trips = match self.public.state {
            BreakerState::Closed => self.failures >= self.threshold,
            BreakerState::HalfOpen => true,
            BreakerState::Open => false,
        };
        if trips {
            self.retry_at = Some(now + self.backoff);
            self.change(BreakerState::Open, now);
        }
    }
}
