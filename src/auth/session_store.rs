//! tower-sessions store in Redis: sessions survive a console restart and are shared by every
//! console instance. Keys are a SHA-256 of the session id, and the stored value holds no id, so
//! nothing read from Redis (a dump, MONITOR, a replica) can be replayed as a cookie.
//!
//! Every record carries an HMAC (the console's session key, see `keyring`) over its session id
//! and its contents: whoever can write this Redis (in many deployments every platform service
//! can) cannot make a record the console accepts, nor move one to another id. A record that fails
//! the check is no session, and the console says so at WARN (never naming the id).

use std::sync::Arc;

use async_trait::async_trait;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore};

use crate::redis::RedisHandle;
use crate::secret::keyring::{Keyring, Purpose};

#[derive(Clone, Debug)]
pub struct RedisSessionStore {
    redis: Arc<RedisHandle>,
    keys: Keyring,
}

/// What the MAC covers, serialized once and stored as a string (so the bytes verified are the
/// bytes signed, whatever a JSON map's key order).
#[derive(Serialize, Deserialize)]
struct Body {
    data: std::collections::HashMap<String, serde_json::Value>,
    expires_unix: i64,
}

/// The value stored in Redis.
#[derive(Serialize, Deserialize)]
struct Stored {
    /// Which configured key signed it.
    kid: String,
    body: String,
    /// Hex HMAC-SHA256 over the session id and `body`.
    mac: String,
}

/// Why a stored record was refused (logged at WARN; never the id).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not the signed format (written by something else, or before records were signed).
    Unsigned,
    /// Signed by a key this console does not hold (removed from the key set, or forged).
    UnknownKey,
    /// The MAC does not match this id and contents (forged, altered or copied from another id).
    BadMac,
}

impl RedisSessionStore {
    pub fn new(redis: Arc<RedisHandle>, keys: Keyring) -> Self {
        Self { redis, keys }
    }

    fn seal(&self, id: &Id, body: String) -> Stored {
        let kid = self.keys.current_id().to_string();
        let mac = self
            .keys
            .mac(
                &kid,
                Purpose::Session,
                &[&id.0.to_le_bytes(), body.as_bytes()],
            )
            .expect("the current key is configured");
        Stored {
            kid,
            body,
            mac: hex::encode(mac),
        }
    }

    /// The record's body if `raw` is a record this console signed for `id`.
    fn open(&self, id: &Id, raw: &str) -> Result<Body, Refused> {
        let stored: Stored = serde_json::from_str(raw).map_err(|_| Refused::Unsigned)?;
        if !self.keys.ids().any(|k| k == stored.kid) {
            return Err(Refused::UnknownKey);
        }
        let tag = hex::decode(&stored.mac).map_err(|_| Refused::BadMac)?;
        let parts: [&[u8]; 2] = [&id.0.to_le_bytes(), stored.body.as_bytes()];
        if !self
            .keys
            .verify(&stored.kid, Purpose::Session, &parts, &tag)
        {
            return Err(Refused::BadMac);
        }
        serde_json::from_str(&stored.body).map_err(|_| Refused::Unsigned)
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
        let body = serde_json::to_string(&Body {
            data: record.data.clone(),
            expires_unix,
        })
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let value = serde_json::to_string(&self.seal(&record.id, body))
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

fn backend(e: crate::error::Error) -> session_store::Error {
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
        let stored = match self.open(id, &raw) {
            Ok(body) => body,
            Err(why) => {
                tracing::warn!(
                    refused = ?why,
                    "a session record in Redis failed its integrity check; treated as no session"
                );
                return Ok(None);
            }
        };
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
