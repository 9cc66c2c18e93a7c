//! Sign-in rate limits in Redis, shared by every console instance: failed attempts per account
//! and failed attempts per client address, each in a fixed window that starts at the first
//! attempt. Every attempt is counted *before* its password is checked (so guesses sent in
//! parallel are limited too) and a successful one gives its count back, so a support team behind
//! one office address can sign in any number of times while guesses from it stay limited.
//! Account keys are a hash of the normalised email, so Redis never holds what was typed.
//!
//! The two limits are kept apart. The address is counted first, and an address over its limit
//! is refused without touching the account's counter (a flood of made-up emails from one address
//! creates no keys, and cannot lock anyone out). An account over its limit is refused from every
//! address that has failed recently, but not from a *clean* one (no other attempt in the window):
//! someone guessing a staff member's password from elsewhere cannot lock that person out, and
//! gets at most one guess per fresh address per window. IPv4-mapped IPv6 peers count as their
//! IPv4 address.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

pub use crate::config::LimitConfig;
use crate::error::Result;
use crate::redis::{RedisHandle, store_error};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused without checking the password; try again after this long. `first` is true for the
    /// attempt that crossed a limit (so a flood of refusals is audited once, not once per request).
    Limited {
        retry_after: Duration,
        first: bool,
    },
}

#[derive(Clone, Debug)]
pub struct LoginLimiter {
    redis: Arc<RedisHandle>,
    config: LimitConfig,
}

/// The decision from the two counters *after* this attempt was counted, and their remaining
/// lifetimes (pure, unit-tested). Counting first and deciding second is what makes the limit
/// hold for attempts sent in parallel. `account` is None when the address was already over its
/// limit (its counter was not touched). An account over its limit is allowed from a clean
/// address: one whose count is this attempt alone.
pub fn decide(
    config: &LimitConfig,
    account: Option<(u32, Option<Duration>)>,
    address: (u32, Option<Duration>),
) -> Verdict {
    let wait = |ttl: Option<Duration>| ttl.unwrap_or(config.window).max(Duration::from_secs(1));
    let (addr_n, addr_ttl) = address;
    if addr_n > config.per_address {
        return Verdict::Limited {
            retry_after: wait(addr_ttl),
            first: addr_n == config.per_address + 1,
        };
    }
    match account {
        Some((n, ttl)) if n > config.per_account && addr_n > 1 => Verdict::Limited {
            retry_after: wait(ttl),
            first: n == config.per_account + 1,
        },
        _ => Verdict::Allowed,
    }
}

pub fn account_key_part(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    hex::encode(&digest[..16])
}

/// IPv4 addresses as they are; IPv6 by their /64 (one subscriber holds a whole /64, so counting
/// single IPv6 addresses would give an attacker 2^64 fresh limits).
pub fn address_key_part(addr: &str) -> String {
    match addr.parse::<std::net::IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v4) => v4.to_string(),
        Err(_) => addr.to_string(),
    }
}

/// KEYS[1] account counter, KEYS[2] address counter; ARGV[1] window in ms, ARGV[2] the address
/// limit. Counts the address; only if it is within its limit, the account too. Returns
/// `{account count or -1, account pttl, address count, address pttl}`.
const BEGIN: &str = r#"
local addr_n = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1], 'NX')
local addr_ttl = redis.call('PTTL', KEYS[2])
if addr_n > tonumber(ARGV[2]) then return {-1, -1, addr_n, addr_ttl} end
local acct_n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
return {acct_n, redis.call('PTTL', KEYS[1]), addr_n, addr_ttl}
"#;

/// KEYS[1] account counter (deleted), KEYS[2] address counter (decremented if it exists and is
/// positive).
const GIVE_BACK: &str = r#"
redis.call('DEL', KEYS[1])
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n > 0 then redis.call('DECR', KEYS[2]) end
return 0
"#;

impl LoginLimiter {
    pub fn new(redis: Arc<RedisHandle>, config: LimitConfig) -> Self {
        Self { redis, config }
    }

    pub fn config(&self) -> &LimitConfig {
        &self.config
    }

    fn keys(&self, email: &str, address: &str) -> (String, String) {
        (
            self.redis.key("login:account", &account_key_part(email)),
            self.redis.key("login:address", &address_key_part(address)),
        )
    }

    /// Count this attempt against the account and the address (atomically, before the password
    /// is checked), then say whether it may go ahead. The account's count is reset by a
    /// successful sign-in, so it counts consecutive failures plus attempts still in flight.
    #[tracing::instrument(skip_all, err)]
    pub async fn begin(&self, email: &str, address: &str) -> Result<Verdict> {
        let (acct, addr) = self.keys(email, address);
        let window = self.config.window.as_millis().max(1) as u64;
        let mut con = self.redis.connection().await?;
        let (acct_n, acct_ttl, addr_n, addr_ttl): (i64, i64, i64, i64) = redis::cmd("EVAL")
            .arg(BEGIN)
            .arg(2)
            .arg(&acct)
            .arg(&addr)
            .arg(window)
            .arg(self.config.per_address)
            .query_async(&mut con)
            .await
            .map_err(store_error)?;
        let ttl = |ms: i64| (ms > 0).then(|| Duration::from_millis(ms as u64));
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        let account = (acct_n >= 0).then(|| (count(acct_n), ttl(acct_ttl)));
        Ok(decide(
            &self.config,
            account,
            (count(addr_n), ttl(addr_ttl)),
        ))
    }

    /// A successful sign-in clears the account's count and gives back the attempt it added to
    /// the address's count (only while that window lives: a decrement must never create a key
    /// without an expiry).
    #[tracing::instrument(skip_all, err)]
    pub async fn succeeded(&self, email: &str, address: &str) -> Result<()> {
        let (acct, addr) = self.keys(email, address);
        let mut con = self.redis.connection().await?;
        let _: () = redis::cmd("EVAL")
            .arg(GIVE_BACK)
            .arg(2)
            .arg(acct)
            .arg(addr)
            .query_async(&mut con)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> LimitConfig {
        LimitConfig {
            per_account: 5,
            per_address: 30,
            window: Duration::from_secs(900),
        }
    }

    #[test]
    fn up_to_the_limit_is_allowed() {
        assert_eq!(
            decide(&cfg(), Some((5, None)), (30, None)),
            Verdict::Allowed
        );
    }

    #[test]
    fn an_address_over_its_limit_is_refused_and_the_crossing_attempt_is_marked() {
        let v = decide(&cfg(), None, (31, Some(Duration::from_secs(400))));
        assert_eq!(
            v,
            Verdict::Limited {
                retry_after: Duration::from_secs(400),
                first: true
            }
        );
        let v = decide(&cfg(), None, (32, Some(Duration::from_millis(10))));
        assert_eq!(
            v,
            Verdict::Limited {
                retry_after: Duration::from_secs(1),
                first: false
            }
        );
    }

    #[test]
    fn a_locked_account_is_refused_from_a_failing_address_but_not_from_a_clean_one() {
        let locked = Some((6, Some(Duration::from_secs(100))));
        assert_eq!(
            decide(&cfg(), locked, (2, None)),
            Verdict::Limited {
                retry_after: Duration::from_secs(100),
                first: true
            }
        );
        assert_eq!(
            decide(&cfg(), Some((9, None)), (5, None)),
            Verdict::Limited {
                retry_after: Duration::from_secs(900),
                first: false
            }
        );
        assert_eq!(
            decide(&cfg(), locked, (1, None)),
            Verdict::Allowed,
            "a clean address"
        );
    }

    #[test]
    fn ipv4_mapped_peers_count_as_their_ipv4_address() {
        assert_eq!(address_key_part("::ffff:203.0.113.9"), "203.0.113.9");
        assert_ne!(
            address_key_part("::ffff:203.0.113.9"),
            address_key_part("::ffff:198.51.100.1")
        );
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(
            address_key_part("2001:db8:1:2:aaaa::1"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key_part("2001:db8:1:2:ffff::9"),
            address_key_part("2001:db8:1:2::1")
        );
        assert_eq!(address_key_part("203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn account_keys_ignore_case_and_spaces_and_hide_the_email() {
        let k = account_key_part(" Support@Shardscope.test ");
        assert_eq!(k, account_key_part("support@shardscope.test"));
        assert!(!k.contains("support"));
        assert_eq!(k.len(), 32);
    }
}
