//! Parallel fan-out with a per-target deadline and typed, honest per-target results.
//!
//! Every target gets its own deadline; a slow or dead shard yields a typed failure for that shard
//! and never fails the whole fan-out. Concurrency is bounded so a fleet of hundreds of shards does
//! not open hundreds of connections at once.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;

/// Why a shard did not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Timeout,
    Refused,
    Auth,
    Query,
    ShardUnknown,
    Other,
}

impl FailureKind {
    /// Stable machine-readable code (the serde name).
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Refused => "refused",
            FailureKind::Auth => "auth",
            FailureKind::Query => "query",
            FailureKind::ShardUnknown => "shard_unknown",
            FailureKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Refused => "connection refused",
            FailureKind::Auth => "authentication failed",
            FailureKind::Query => "query error",
            FailureKind::ShardUnknown => "shard unknown",
            FailureKind::Other => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {message}", kind.label())]
pub struct Failure {
    pub kind: FailureKind,
    /// Safe to show: never contains credentials or row data.
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Classify a driver error without echoing anything that could hold secrets or PHI.
    pub fn from_sqlx(err: &sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut => {
                Self::new(FailureKind::Timeout, "no connection within the deadline")
            }
            sqlx::Error::Io(io) => {
                use std::io::ErrorKind as K;
                match io.kind() {
                    K::ConnectionRefused => Self::new(FailureKind::Refused, "connection refused"),
                    K::ConnectionReset
                    | K::ConnectionAborted
                    | K::UnexpectedEof
                    | K::BrokenPipe
                    | K::NotConnected => Self::new(
                        FailureKind::Refused,
                        format!("connection lost ({})", io.kind()),
                    ),
                    K::TimedOut => Self::new(FailureKind::Timeout, "network timeout"),
                    // TLS refusals arrive as invalid data carrying rustls's reason ("invalid
                    // peer certificate: UnknownIssuer"): no secret in it, and what to fix.
                    K::InvalidData if io.get_ref().is_some() => Self::new(
                        FailureKind::Other,
                        format!(
                            "TLS: {}",
                            io.get_ref()
                                .map(|e| e.to_string())
                                .unwrap_or_default()
                                .chars()
                                .take(200)
                                .collect::<String>()
                        ),
                    ),
                    other => Self::new(FailureKind::Other, format!("network: {other}")),
                }
            }
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                match code.as_str() {
                    c if c.starts_with("28") => {
                        Self::new(FailureKind::Auth, format!("SQLSTATE {c}: login rejected"))
                    }
                    "57014" => Self::new(FailureKind::Timeout, "statement timeout"),
                    "57P01" | "57P02" | "57P03" => Self::new(
                        FailureKind::Refused,
                        format!("SQLSTATE {code}: server shutting down or starting"),
                    ),
                    _ => Self::new(FailureKind::Query, format!("SQLSTATE {code}")),
                }
            }
            sqlx::Error::PoolClosed => Self::new(FailureKind::Other, "pool closed"),
            other => Self::new(FailureKind::Other, short_kind(other)),
        }
    }
}

fn short_kind(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Protocol(_) => "protocol error".into(),
        sqlx::Error::Tls(_) => "tls error".into(),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode error".into(),
        sqlx::Error::RowNotFound => "no row".into(),
        _ => "driver error".into(),
    }
}

/// One target's outcome: value or failure, how long it took, and when it was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome<T> {
    pub target: String,
    pub latency_ms: u64,
    /// Unix milliseconds at which the result was obtained.
    pub measured_at_ms: u64,
    pub result: Result<T, Failure>,
}

/// Run one probe under a deadline and wrap its result as an [`Outcome`].
pub async fn timed<T>(
    target: String,
    deadline: Duration,
    probe: impl Future<Output = Result<T, Failure>>,
) -> Outcome<T> {
    let started = Instant::now();
    let result = match tokio::time::timeout(deadline, probe).await {
        Ok(r) => r,
        Err(_) => Err(Failure::new(
            FailureKind::Timeout,
            format!("no answer within {} ms", deadline.as_millis()),
        )),
    };
    Outcome {
        target,
        latency_ms: started.elapsed().as_millis() as u64,
        measured_at_ms: now_ms(),
        result,
    }
}

/// Run `probe` for every target, at most `concurrency` at once; results come back in the order of
/// `targets`. Each probe carries its own deadline (see [`timed`]), so one slow target delays only
/// its own result.
pub async fn fan_out<K, T, F, Fut>(targets: Vec<K>, concurrency: usize, probe: F) -> Vec<T>
where
    F: Fn(K) -> Fut,
    Fut: Future<Output = T>,
{
    futures::stream::iter(targets.into_iter().map(probe))
        .buffered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slow_target_times_out_and_others_answer() {
        let out = fan_out(vec![10u64, 5_000, 20], 8, |ms| {
            timed(format!("s{ms}"), Duration::from_millis(2000), async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, Failure>(ms)
            })
        })
        .await;
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].result, Ok(10));
        assert_eq!(
            out[1].result.as_ref().unwrap_err().kind,
            FailureKind::Timeout
        );
        assert_eq!(out[2].result, Ok(20));
        assert_eq!(out[1].target, "s5000");
    }

    #[tokio::test(start_paused = true)]
    async fn runs_in_parallel_not_in_sequence() {
        let started = tokio::time::Instant::now();
        let out = fan_out((0..8).collect::<Vec<u32>>(), 8, |i| {
            timed(i.to_string(), Duration::from_secs(5), async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok::<_, Failure>(())
            })
        })
        .await;
        assert!(out.iter().all(|o| o.result.is_ok()));
        // Eight 300 ms probes in parallel take 300 ms of (virtual) time, not 2.4 s.
        assert!(
            started.elapsed() < Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded() {
        let started = tokio::time::Instant::now();
        fan_out((0..4).collect::<Vec<u32>>(), 2, |_| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
        })
        .await;
        // Two waves of two.
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    #[test]
    fn classifies_refused_io() {
        let e = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(Failure::from_sqlx(&e).kind, FailureKind::Refused);
        assert_eq!(
            Failure::from_sqlx(&sqlx::Error::PoolTimedOut).kind,
            FailureKind::Timeout
        );
    }
}
