//! The Redis session store against the real Redis: a save never resurrects a deleted session,
//! and what Redis holds is neither the session id nor usable as one.

mod common;

use std::sync::Arc;

use redis::AsyncCommands;
use shardscope::auth::RedisSessionStore;
use shardscope::redis::RedisHandle;
use tower_sessions_core::SessionStore;
use tower_sessions_core::session::{Id, Record};

#[tokio::test]
async fn deleted_sessions_stay_deleted_and_redis_never_holds_the_id() {
    let config = shardscope::Config::from_env().unwrap();
    let ns = common::unique_namespace("sessions");
    let handle = Arc::new(RedisHandle::new(config.redis_url.as_ref(), &ns).unwrap());
    let store = RedisSessionStore::new(handle.clone());
    let mut record = Record {
        id: Id::default(),
        data: [("auth".to_string(), serde_json::json!({"staff_id": 7}))].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
    };
    store.create(&mut record).await.unwrap();
    assert_eq!(
        store.load(&record.id).await.unwrap().unwrap().data,
        record.data
    );

    let mut con = handle.connection().await.unwrap();
    let keys: Vec<String> = con.keys(format!("{ns}:session:*")).await.unwrap();
    assert_eq!(keys.len(), 1);
    let stored: String = con.get(&keys[0]).await.unwrap();
    let id = record.id.to_string();
    assert!(
        !keys[0].contains(&id) && !stored.contains(&id),
        "the id is not in Redis"
    );

    // Sign-out deletes it while another request still holds it; that request's save must not
    // bring it back.
    store.delete(&record.id).await.unwrap();
    store.save(&record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
}
