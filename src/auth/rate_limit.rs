//! Sign-in rate limits in Redis, shared by every console instance: failed attempts per account
//! and attempts per client address, each in a fixed window that starts at the first attempt.
//! Account keys are a hash of the normalised email, so Redis never holds what was typed.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::redis_handle::{RedisHandle, store_error};
use crate::error::Result;

#[derive(Clone, Debug)]
pub struct LimitConfig {
    /// Failed sign-ins allowed per account per window.
    pub per_account: u32,
    /// Sign-in attempts allowed per client address per window.
    pub per_address: u32,
    pub window: Duration,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 30,
            window: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused without checking the password; try again after this long.
    Limited {
        retry_after: Duration,
    },
}

#[derive(Clone, Debug)]
pub struct LoginLimiter {
    redis: Arc<RedisHandle>,
    config: LimitConfig,
}

/// The decision from the two counters and their remaining lifetimes (pure, unit-tested).
pub fn decide(
    config: &LimitConfig,
    account: (u32, Option<Duration>),
    address: (u32, Option<Duration>),
) -> Verdict {
    let mut retry = None::<Duration>;
    for ((count, ttl), max) in [(account, config.per_account), (address, config.per_address)] {
        if count >= max {
            let wait = ttl.unwrap_or(config.window).max(Duration::from_secs(1));
            retry = Some(retry.map_or(wait, |r| r.max(wait)));
        }
    }
    match retry {
        Some(retry_after) => Verdict::Limited { retry_after },
        None => Verdict::Allowed,
    }
}

pub fn account_key_part(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    hex::encode(&digest[..16])
}

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
            self.redis.key("login:address", address),
        )
    }

    /// May this attempt go ahead? Counts the attempt against the address.
    #[tracing::instrument(skip_all, err)]
    pub async fn begin(&self, email: &str, address: &str) -> Result<Verdict> {
        let (acct, addr) = self.keys(email, address);
        let mut con = self.redis.connection().await?;
        let (acct_n, acct_ttl, addr_n, addr_ttl): (Option<u32>, i64, Option<u32>, i64) =
            redis::pipe()
                .get(&acct)
                .pttl(&acct)
                .get(&addr)
                .pttl(&addr)
                .query_async(&mut con)
                .await
                .map_err(store_error)?;
        let ttl = |ms: i64| (ms > 0).then(|| Duration::from_millis(ms as u64));
        let verdict = decide(
            &self.config,
            (acct_n.unwrap_or(0), ttl(acct_ttl)),
            (addr_n.unwrap_or(0), ttl(addr_ttl)),
        );
        if verdict == Verdict::Allowed {
            self.bump(&mut con, &addr).await?;
        }
        Ok(verdict)
    }

    /// A wrong password or unknown account: counts against the account.
    #[tracing::instrument(skip_all, err)]
    pub async fn failed(&self, email: &str, address: &str) -> Result<()> {
        let (acct, _) = self.keys(email, address);
        let mut con = self.redis.connection().await?;
        self.bump(&mut con, &acct).await
    }

    /// A successful sign-in clears the account's failures (not the address's attempts).
    #[tracing::instrument(skip_all, err)]
    pub async fn succeeded(&self, email: &str, address: &str) -> Result<()> {
        let (acct, _) = self.keys(email, address);
        let mut con = self.redis.connection().await?;
        let _: () = redis::cmd("DEL")
            .arg(acct)
            .query_async(&mut con)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn bump(&self, con: &mut redis::aio::ConnectionManager, key: &str) -> Result<()> {
        let window = self.config.window.as_millis().max(1) as u64;
        let _: (u32, i64) = redis::pipe()
            .atomic()
            .incr(key, 1)
            .cmd("PEXPIRE")
            .arg(key)
            .arg(window)
            .arg("NX")
            .query_async(con)
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
    fn under_both_limits_is_allowed() {
        assert_eq!(decide(&cfg(), (4, None), (29, None)), Verdict::Allowed);
    }

    #[test]
    fn the_longer_wait_wins() {
        let v = decide(
            &cfg(),
            (5, Some(Duration::from_secs(100))),
            (30, Some(Duration::from_secs(400))),
        );
        assert_eq!(
            v,
            Verdict::Limited {
                retry_after: Duration::from_secs(400)
            }
        );
        let v = decide(&cfg(), (7, Some(Duration::from_millis(10))), (0, None));
        assert_eq!(
            v,
            Verdict::Limited {
                retry_after: Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn account_keys_ignore_case_and_spaces_and_hide_the_email() {
        let k = account_key_part(" Support@Shardscope.test ");
        assert_eq!(k, account_key_part("support@shardscope.test"));
        assert!(!k.contains("support"));
        assert_eq!(k.len(), 32);
    }
}
