//! tower-sessions store in Redis: sessions survive a console restart and are shared by every
//! console instance. Keys are a SHA-256 of the session id, and the stored value holds no id, so
//! nothing read from Redis (a dump, MONITOR, a replica) can be replayed as a cookie.

use std::sync::Arc;

use async_trait::async_trait;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore};

use crate::redis::RedisHandle;

#[derive(Clone, Debug)]
pub struct RedisSessionStore {
    redis: Arc<RedisHandle>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    data: std::collections::HashMap<String, serde_json::Value>,
    expires_unix: i64,
}

impl RedisSessionStore {
    pub fn new(redis: Arc<RedisHandle>) -> Self {
        Self { redis }
    }

    fn key(&self, id: &Id) -> String {
        let digest = Sha256::digest(id.0.to_le_bytes());
        self.redis.key("session", &hex::encode(&digest[..20]))
    }

    /// `SET … NX` to create, `SET … XX` to save: a save never brings back a session that sign-out,
    /// a disabled account or expiry deleted while a request still held it.
    async fn write(&self, record: &Record, condition: &str) -> session_store::Result<bool> {
        let expires_unix = record.expiry_date.unix_timestamp();
        let ttl = expires_unix - OffsetDateTime::now_utc().unix_timestamp();
        if ttl <= 0 {
            return Ok(true);
        }
        let value = serde_json::to_string(&Stored {
            data: record.data.clone(),
            expires_unix,
        })
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let mut con = self.redis.connection().await.map_err(backend)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&record.id))
            .arg(value)
            .arg("EX")
            .arg(ttl)
            .arg(condition);
        let set: Option<String> = cmd.query_async(&mut con).await.map_err(redis_backend)?;
        Ok(set.is_some())
    }
}

fn backend(e: crate::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn redis_backend(e: redis::RedisError) -> session_store::Error {
    backend(crate::redis::store_error(e))
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    #[tracing::instrument(name = "session_create", skip_all, err)]
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh random 128-bit id until one is unused (a collision is astronomically rare).
        for _ in 0..8 {
            if self.write(record, "NX").await? {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(session_store::Error::Backend(
            "could not allocate a session id".into(),
        ))
    }

    #[tracing::instrument(name = "session_save", skip_all, err)]
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, "XX").await.map(|_| ())
    }

    #[tracing::instrument(name = "session_load", skip_all, err)]
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut con = self.redis.connection().await.map_err(backend)?;
        let raw: Option<String> = con.get(self.key(id)).await.map_err(redis_backend)?;
        let Some(raw) = raw else { return Ok(None) };
        let stored: Stored =
            serde_json::from_str(&raw).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(stored.expires_unix)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if expiry_date <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        Ok(Some(Record {
            id: *id,
            data: stored.data,
            expiry_date,
        }))
    }

    #[tracing::instrument(name = "session_delete", skip_all, err)]
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut con = self.redis.connection().await.map_err(backend)?;
        let _: () = con.del(self.key(id)).await.map_err(redis_backend)?;
        Ok(())
    }
}
