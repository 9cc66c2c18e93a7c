//! Rewrites audit records written when a lookup's subject was the plain SHA-256 of a phone or
//! email (`phone:<64 hex>`, reversible by brute force) into the keyed form
//! (`phone:<key id>:<HMAC>`, see `keyring`). The HMAC is taken over the stored hash, so the
//! records are rewritten from what is stored; in ClickHouse, where 18.16 has no HMAC, the old
//! rows are deleted and the rewritten records shipped again.
//!
//! Run as the routing DB's owner (the console's own role may only append to the audit):
//! `shardscope-server migrate audit-subjects`. Idempotent.

use clickhouse::Client;
use sqlx::PgPool;

use crate::error::Result;
use crate::secret::keyring::Keyring;

/// A subject or target in the old, plain-hash form.
const PLAIN_PG: &str = "^(phone|email):[0-9a-f]{64}$";

/// Deletes ClickHouse audit rows whose subject or target is a plain hash (a mutation; the
/// records come back from the routing DB with keyed subjects).
pub const CLICKHOUSE_DELETE_PLAIN: &str = "ALTER TABLE audit_events DELETE \
     WHERE match(subject, '^(phone|email):[0-9a-f]{64}$') \
        OR match(target, '^(phone|email):[0-9a-f]{64}$')";

/// The keyed form of `value` if it is a plain-hash subject, else None.
pub fn keyed(keys: &Keyring, value: &str) -> Option<String> {
    let (kind, hash) = value.split_once(':')?;
    let plain = matches!(kind, "phone" | "email")
        && hash.len() == 64
        && hash.chars().all(|c| c.is_ascii_hexdigit());
    plain.then(|| keys.audit_subject(kind, hash))
}

/// Rewrite every plain-hash subject and target in `console.audit_events` (marking each record
/// for export again). Returns how many records were rewritten.
#[tracing::instrument(skip_all, err)]
pub async fn rekey_routing(owner: &PgPool, keys: &Keyring) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, subject, target FROM console.audit_events
              WHERE subject ~ $1 OR target ~ $1 ORDER BY id LIMIT 1000",
        )
        .bind(PLAIN_PG)
        .fetch_all(owner)
        .await?;
        if rows.is_empty() {
            return Ok(total);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut subjects = Vec::with_capacity(rows.len());
        let mut targets = Vec::with_capacity(rows.len());
        for (id, subject, target) in rows {
            ids.push(id);
            subjects.push(keyed(keys, &subject).unwrap_or(subject));
            targets.push(keyed(keys, &target).unwrap_or(target));
        }
        let n = sqlx::query(
            "UPDATE console.audit_events a
                SET subject = r.subject, target = r.target, exported_at = NULL,
                    export_lease_until = NULL, export_attempts = 0
               FROM UNNEST($1::int8[], $2::text[], $3::text[]) AS r(id, subject, target)
              WHERE a.id = r.id",
        )
        .bind(&ids)
        .bind(&subjects)
        .bind(&targets)
        .execute(owner)
        .await?
        .rows_affected();
        total += n;
    }
}

/// Delete ClickHouse's copies of records with a plain-hash subject or target.
#[tracing::instrument(skip_all, err)]
pub async fn purge_clickhouse(client: &Client) -> Result<()> {
    client.query(CLICKHOUSE_DELETE_PLAIN).execute().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_hashes_are_rewritten() {
        let keys = Keyring::parse("t1:0123456789abcdef0123456789abcdef").unwrap();
        let hash = "a".repeat(64);
        let k = keyed(&keys, &format!("phone:{hash}")).unwrap();
        assert_eq!(k, keys.audit_subject("phone", &hash));
        assert!(keyed(&keys, &format!("email:{}", hash.to_uppercase())).is_some());
        for kept in ["user:7", "person:1000042", "org:12", "", &k, "phone:abc"] {
            assert_eq!(keyed(&keys, kept), None, "{kept}");
        }
    }
}
