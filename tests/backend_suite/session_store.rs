//! The Redis session store against the real Redis: a save never resurrects a deleted session,
//! and what Redis holds is neither the session id nor usable as one.

use crate::common;

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
    let store = RedisSessionStore::new(handle.clone(), config.keys.clone());
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
    // Redis expires it with the session: the record's 5 minutes, not more.
    let ttl: i64 = con.ttl(&keys[0]).await.unwrap();
    assert!(
        (295..=300).contains(&ttl),
        "Redis TTL {ttl} s for a 300 s session"
    );
    // An already expired record is not written at all (nothing to expire later).
    let mut expired = Record {
        id: Id::default(),
        data: record.data.clone(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::seconds(1),
    };
    store.create(&mut expired).await.unwrap();
    let after: Vec<String> = con.keys(format!("{ns}:session:*")).await.unwrap();
    assert_eq!(
        after.len(),
        1,
        "the expired record was not stored: {after:?}"
    );
    let id = record.id.to_string();
    assert!(
        !keys[0].contains(&id) && !stored.contains(&id),
        "the id is not in Redis"
    );

    // What Redis holds is bound to its id and the console's key: copied to another id, altered,
    // or loaded by a console with other keys, it is no session.
    let other = Id::default();
    let other_key = keys[0].replace(&keys[0].rsplit(':').next().unwrap().to_string(), &{
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(other.0.to_le_bytes())[..20])
    });
    let _: () = con.set_ex(&other_key, &stored, 60).await.unwrap();
    assert!(store.load(&other).await.unwrap().is_none(), "copied");
    let altered = stored.replace("\\\"staff_id\\\":7", "\\\"staff_id\\\":1");
    assert_ne!(altered, stored, "the test alters the record: {stored}");
    let _: () = con.set_ex(&keys[0], &altered, 60).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none(), "altered");
    let _: () = con.set_ex(&keys[0], &stored, 60).await.unwrap();
    let stranger = RedisSessionStore::new(
        handle.clone(),
        shardscope::secret::keyring::Keyring::parse("x9:another-console-s-own-secret-key-0000")
            .unwrap(),
    );
    assert!(
        stranger.load(&record.id).await.unwrap().is_none(),
        "other keys"
    );
    // A key rotation keeps it: the new key in front, the old one still verifying.
    let rotated = RedisSessionStore::new(
        handle.clone(),
        shardscope::secret::keyring::Keyring::parse(&format!(
            "new1:a-brand-new-key-for-the-console-000000,{}",
            std::env::var("SHARDSCOPE_SECRET_KEYS").unwrap()
        ))
        .unwrap(),
    );
    assert_eq!(
        rotated.load(&record.id).await.unwrap().unwrap().data,
        record.data
    );

    // A save writes what changed (the identity gate's touch pushes the expiry forward).
    record.data.insert(
        "auth".to_string(),
        serde_json::json!({"staff_id": 7, "seen_at": 99}),
    );
    record.expiry_date = time::OffsetDateTime::now_utc() + time::Duration::minutes(10);
    store.save(&record).await.unwrap();
    assert_eq!(
        store.load(&record.id).await.unwrap().unwrap().data,
        record.data,
        "the saved data"
    );
    let ttl: i64 = con.ttl(&keys[0]).await.unwrap();
    assert!((595..=600).contains(&ttl), "the saved expiry: TTL {ttl} s");

    // Sign-out deletes it while another request still holds it; that request's save must not
    // bring it back.
    store.delete(&record.id).await.unwrap();
    store.save(&record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
}
