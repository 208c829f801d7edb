//! Rate limits on bursts of writes, per instance: accounts created per client address and
//! writes to plugins per account (GCRA, from the `governor` crate). A burst up to the limit is
//! let through at once, then one more each `period / limit`, so a help desk signing up a queue
//! of people or an operator at work never notices, while a script is slowed to the sustained
//! rate.
//!
//! The counts live in the process: with several kernel nodes behind a balancer each node
//! counts on its own, so a client may get up to the limit times the number of nodes. The login
//! throttle, which guards passwords, is shared through the database instead
//! (`auth::throttle`).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use trama_manifest::Limits;

/// How many checks pass between two sweeps of the keys that have recovered their whole burst
/// (they hold no information any more); keeps memory bounded by recent clients.
const SWEEP_EVERY: u64 = 4096;

/// A refusal: come back after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// Whole seconds (at least 1), for `Retry-After`.
    pub retry_after_secs: u64,
}

/// One keyed limit.
struct Limit {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl Limit {
    fn new(per: u64, period: Duration) -> Self {
        let burst = NonZeroU32::new(u32::try_from(per).unwrap_or(u32::MAX).max(1))
            .unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period / burst.get())
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    fn check(&self, key: &str) -> Result<(), Wait> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Wait {
                    retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                }
            })
    }
}

/// The rate limits of one instance, from its `[limits]`.
pub struct Rates {
    signups: Limit,
    writes: Limit,
    resets: Limit,
}

/// "Forgot password" requests one client address may make per hour: a person who mistypes
/// their address a few times is never stopped, a script trying a list of addresses is.
const RESETS_PER_HOUR_PER_ADDRESS: u64 = 10;

impl Rates {
    pub fn new(limits: &Limits) -> Self {
        Self {
            signups: Limit::new(
                limits.signups_per_hour_per_address,
                Duration::from_secs(3600),
            ),
            writes: Limit::new(
                limits.writes_per_minute_per_account,
                Duration::from_secs(60),
            ),
            resets: Limit::new(RESETS_PER_HOUR_PER_ADDRESS, Duration::from_secs(3600)),
        }
    }

    /// One more account created from `address` (a client address key).
    pub fn signup(&self, address: &str) -> Result<(), Wait> {
        self.signups.check(address)
    }

    /// One more write to a plugin by `who`: an account id, or a client address key for
    /// visitors who are not logged in (kept apart by a prefix).
    pub fn write(&self, who: &str) -> Result<(), Wait> {
        self.writes.check(who)
    }

    /// One more "forgot password" request from `address`.
    pub fn reset(&self, address: &str) -> Result<(), Wait> {
        self.resets.check(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(signups: u64, writes: u64) -> Limits {
        Limits {
            signups_per_hour_per_address: signups,
            writes_per_minute_per_account: writes,
            ..Limits::default()
        }
    }

    #[test]
    fn a_burst_up_to_the_limit_passes_then_the_next_waits_for_its_share_of_the_period() {
        let rates = Rates::new(&limits(3, 60));
        for _ in 0..3 {
            assert_eq!(rates.signup("10.0.0.1"), Ok(()));
        }
        let wait = rates.signup("10.0.0.1").expect_err("the fourth waits");
        // One sign-up comes back every hour / 3 = 20 minutes.
        assert!(
            (19 * 60..=20 * 60).contains(&wait.retry_after_secs),
            "{wait:?}"
        );
        assert_eq!(rates.signup("10.0.0.2"), Ok(()), "another address");
        for _ in 0..60 {
            assert_eq!(rates.write("user:anna"), Ok(()));
        }
        let wait = rates.write("user:anna").expect_err("the 61st waits");
        assert_eq!(wait.retry_after_secs, 1);
        assert_eq!(rates.write("user:bruno"), Ok(()), "another account");
    }
}
