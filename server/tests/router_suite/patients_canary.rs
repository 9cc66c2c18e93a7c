//! Canary PHI. A person is seeded with unmistakable values (name, phone, email) on two shards;
//! the lookup flows run through the real router as support and as superadmin (lookups by phone
//! and email, the JSON server function, a break-glass opening, refused inputs that carry the
//! values); then every log line (TRACE, every thread), every Redis key and value, every column of
//! every ClickHouse table, every audit record in the routing DB and every URL requested or
//! redirected to is searched for them: zero hits. The pages themselves must show them (the flow
//! really ran). One test in its own binary: the log subscriber is global.

use crate::common;

use std::time::{Duration, Instant};

use common::{Captured, TestApp, admin_pool, block_on_own_runtime, enc, fleet, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::{SEED, plan, sha256_hex};

const NAME: &str = "Zyqcanary Phiworth";
const PHONE: &str = "+15559876543";
const EMAIL: &str = "zyq.canary.phi@example.test";
/// What must never appear outside the page: pieces of each value, as typed and as normalised.
const NEEDLES: [&str; 6] = [
    "Zyqcanary",
    "Phiworth",
    "9876543",
    "987-6543",
    "zyq.canary",
    "ZYQ.CANARY",
];
/// Far above the plan's person ids (1 000 000 + a few hundred thousand).
const PERSON: i64 = 4_400_000_001;

/// Removes the canary person (registry row, profile, links) however the test ends.
struct Canary {
    home: (u16, i64),
    other: (u16, i64),
}

impl Drop for Canary {
    fn drop(&mut self) {
        let (home, other) = (self.home, self.other);
        block_on_own_runtime(async move {
            let f = fleet();
            for (port, _) in [home, other] {
                let pool = admin_pool(port, &f.shard_database).await;
                let _ = sqlx::query("DELETE FROM patients WHERE patient_person_id = $1")
                    .bind(PERSON)
                    .execute(&pool)
                    .await;
                let _ = sqlx::query("DELETE FROM patient_persons WHERE id = $1")
                    .bind(PERSON)
                    .execute(&pool)
                    .await;
            }
            let _ = sqlx::query("DELETE FROM patient_person_registry WHERE patient_person_id = $1")
                .bind(PERSON)
                .execute(&owner_pool().await)
                .await;
        });
    }
}

/// The canary person: home on the first shared shard (linked by its first org, consented),
/// linked by an org on another shard (name only).
async fn seed_canary() -> (Canary, i64, i64) {
    let f = fleet();
    let p = plan(&f.shards, SEED);
    let home_org = p.orgs.iter().find(|o| o.shard_type == "shared").unwrap();
    let other_org = p
        .orgs
        .iter()
        .rev()
        .find(|o| o.shard_id != home_org.shard_id)
        .unwrap();
    let home_port = f.shard(&home_org.shard_id).unwrap().primary_port;
    let other_port = f.shard(&other_org.shard_id).unwrap().primary_port;
    let canary = Canary {
        home: (home_port, home_org.id),
        other: (other_port, other_org.id),
    };
    let home = admin_pool(home_port, &f.shard_database).await;
    sqlx::query(
        "INSERT INTO patient_persons (id, name, date_of_birth, blood_type, emergency_contact_name)
         VALUES ($1, $2, DATE '1961-07-04', 'AB-', $3)",
    )
    .bind(PERSON)
    .bind(NAME)
    .bind(format!("{NAME} Senior"))
    .execute(&home)
    .await
    .unwrap();
    for (pool, org, shared) in [
        (home, home_org.id, true),
        (
            admin_pool(other_port, &f.shard_database).await,
            other_org.id,
            false,
        ),
    ] {
        sqlx::query(
            "INSERT INTO patients (organization_id, patient_person_id, profile_shared)
             VALUES ($1, $2, $3)",
        )
        .bind(org)
        .bind(PERSON)
        .bind(shared)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO patient_person_registry (patient_person_id, phone_hash, email_hash, home_shard_id)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(PERSON)
    .bind(sha256_hex(PHONE))
    .bind(sha256_hex(EMAIL))
    .bind(&home_org.shard_id)
    .execute(&owner_pool().await)
    .await
    .unwrap();
    (canary, home_org.id, other_org.id)
}

/// The needles, and the plain SHA-256 of the phone and the email: as reversible as the values
/// (the registry holds them; nothing else may).
fn needles() -> Vec<String> {
    NEEDLES
        .iter()
        .map(|n| n.to_string())
        .chain([sha256_hex(PHONE), sha256_hex(EMAIL)])
        .collect()
}

fn hits(haystack: &str) -> Vec<String> {
    needles()
        .into_iter()
        .filter(|n| haystack.contains(n.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_phi_never_reaches_logs_redis_clickhouse_the_audit_or_urls() {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish(),
    )
    .expect("the only subscriber of this binary");

    let (_canary, home_org, other_org) = seed_canary().await;
    let app = TestApp::new();
    let support = app.session_as(Role::Support).await;
    let admin = app.session_as(Role::Superadmin).await;
    let mut urls: Vec<String> = Vec::new();
    let mut pages: Vec<String> = Vec::new();
    let form = |q: &str, region: &str| format!("op=lookup&kind=auto&region={region}&q={}", enc(q));
    let flows: Vec<(&str, &str, String, u16)> = vec![
        ("/patients", "support", form("(555) 987-6543", "US"), 200),
        ("/patients", "support", form("0015559876543", "GB"), 200),
        (
            "/patients",
            "support",
            form("ZYQ.CANARY.PHI@EXAMPLE.TEST", "US"),
            200,
        ),
        (
            "/api/patient-lookup",
            "support",
            format!("q={}", enc("555.987.6543")),
            200,
        ),
        // Refused inputs that carry the values: the messages must not repeat them.
        ("/patients", "support", form(NAME, "US"), 400),
        ("/patients", "support", form("(555) 987-6543", "ZZ"), 400),
        (
            "/patients",
            "support",
            form("555-987-6543-0000-0000", "US"),
            400,
        ),
        ("/patients", "support", form("zyq.canary.phi@", "US"), 400),
        ("/patients", "superadmin", form("(555) 987-6543", "US"), 200),
        (
            "/patients",
            "superadmin",
            format!(
                "op=open&person={PERSON}&reason={}",
                enc("about Zyqcanary Phiworth")
            ),
            400,
        ),
        (
            "/patients",
            "superadmin",
            format!(
                "op=open&person={PERSON}&reason={}",
                enc("re 555 987 6543 call")
            ),
            400,
        ),
        (
            "/patients",
            "superadmin",
            format!(
                "op=open&person={PERSON}&reason={}",
                enc("SUP-7777 canary check")
            ),
            200,
        ),
        (
            "/api/patient-profile",
            "superadmin",
            format!("person={PERSON}&reason={}", enc("SUP-7777 canary api")),
            200,
        ),
    ];
    for (path, who, body, want) in &flows {
        let cookie = if *who == "support" { &support } else { &admin };
        urls.push(path.to_string());
        let r = app.post(path, Some(cookie), body).await;
        assert_eq!(
            r.status.as_u16(),
            *want,
            "{path} as {who} ({body:.0}): {}",
            r.body
        );
        if let Some(to) = r.location() {
            urls.push(to.to_string());
        }
        if *want >= 400 {
            // The form echoes what was typed into its own field so it can be corrected; the
            // message itself must not repeat it.
            let message = r
                .body
                .split("class=\"error-state\"")
                .nth(1)
                .map(|m| m.split("</p>").next().unwrap_or(""))
                .unwrap_or(&r.body);
            assert!(
                hits(message).is_empty(),
                "{path}: the error repeats the value: {message}"
            );
        } else {
            pages.push(r.body);
        }
    }
    // The flows really showed the canary (and both of its clinics) to the staff member.
    assert!(
        pages.iter().all(|p| p.contains(NAME)),
        "every answer names the canary"
    );
    assert!(
        pages
            .iter()
            .any(|p| p.contains("Portable profile") && p.contains("1961-07-04"))
    );
    for org in [home_org, other_org] {
        assert!(
            pages[0].contains(&format!("data-org=\"{org}\"")),
            "org {org} listed"
        );
    }

    // Ship this console's audit records to ClickHouse, so that the search below covers them.
    let ch = common::clickhouse().await.expect("ClickHouse");
    let shipped = Instant::now();
    loop {
        shardscope::auth::audit_export::ship_batch(
            &app.console.auth().audit,
            &ch,
            Default::default(),
        )
        .await
        .expect("audit shipped");
        let n: u64 = ch
            .query("SELECT count() FROM audit_events WHERE client_addr = ? AND subject != ''")
            .bind(&app.addr)
            .fetch_one()
            .await
            .unwrap();
        if n >= 7 {
            break;
        }
        assert!(
            shipped.elapsed() < Duration::from_secs(30),
            "{n} lookup records in ClickHouse"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Every URL requested or redirected to.
    for u in &urls {
        assert!(hits(u).is_empty(), "URL {u}");
    }
    // Every log line.
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.len() > 1000 && log.contains("patients_post"),
        "the capture works"
    );
    let leaked: Vec<&str> = log
        .lines()
        .filter(|l| !hits(l).is_empty())
        .take(5)
        .collect();
    assert!(leaked.is_empty(), "log lines with PHI: {leaked:#?}");

    // Every Redis key and value.
    let redis_url = std::env::var("SHARDSCOPE_REDIS_URL").unwrap();
    let mut con = redis::Client::open(redis_url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut con)
        .await
        .unwrap();
    assert!(
        keys.len() > 3,
        "Redis holds sessions and caches: {}",
        keys.len()
    );
    for key in &keys {
        assert!(hits(key).is_empty(), "Redis key {key}");
        let kind: String = redis::cmd("TYPE")
            .arg(key)
            .query_async(&mut con)
            .await
            .unwrap();
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![
                redis::cmd("GET")
                    .arg(key)
                    .query_async(&mut con)
                    .await
                    .unwrap_or_default(),
            ],
            "hash" => redis::cmd("HGETALL")
                .arg(key)
                .query_async(&mut con)
                .await
                .unwrap(),
            "list" => redis::cmd("LRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .query_async(&mut con)
                .await
                .unwrap(),
            "set" => redis::cmd("SMEMBERS")
                .arg(key)
                .query_async(&mut con)
                .await
                .unwrap(),
            "zset" => redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .query_async(&mut con)
                .await
                .unwrap(),
            _ => vec![],
        };
        for v in values {
            let text = String::from_utf8_lossy(&v);
            assert!(hits(&text).is_empty(), "Redis value of {key}");
        }
    }

    // Every String and Array(String) column of every ClickHouse table.
    let columns: Vec<(String, String, String, String)> = ch
        .query(
            "SELECT database, table, name, type FROM system.columns
              WHERE database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema')
                AND (type LIKE '%String%')",
        )
        .fetch_all()
        .await
        .unwrap();
    assert!(
        columns
            .iter()
            .any(|c| c.1 == "audit_events" && c.2 == "subject"),
        "the audit's columns are searched"
    );
    let (mut searched, mut gone) = (0usize, 0usize);
    for (db, table, column, kind) in &columns {
        for needle in needles() {
            let test = if kind.starts_with("Array") {
                format!("arrayExists(x -> position(x, '{needle}') > 0, `{column}`)")
            } else {
                format!("position(toString(`{column}`), '{needle}') > 0")
            };
            let sql = format!("SELECT count() FROM `{db}`.`{table}` WHERE {test}");
            match ch.query(&sql).fetch_one::<u64>().await {
                Ok(n) => {
                    assert_eq!(n, 0, "{needle} in ClickHouse {db}.{table}.{column}");
                    searched += 1;
                }
                // A scratch table another test dropped meanwhile (code 60, UNKNOWN_TABLE) is not
                // a hit; any other failure is a column this test could not search: a failure.
                Err(e) if e.to_string().contains("Code: 60") => gone += 1,
                Err(e) => panic!("{db}.{table}.{column} could not be searched: {e}"),
            }
        }
    }

    assert!(
        searched > gone,
        "{searched} column searches ran, {gone} tables gone meanwhile"
    );
    // The same search finds what is there: the lookups' subject (the keyed HMAC) is in it.
    let keyed = app
        .console
        .config()
        .keys
        .audit_subject("phone", &sha256_hex(PHONE));
    let control =
        format!("SELECT count() FROM audit_events WHERE position(subject, '{keyed}') > 0");
    assert!(
        ch.query(&control).fetch_one::<u64>().await.unwrap() >= 1,
        "the search works"
    );

    // Every audit record in the routing DB (the record of truth), every text column.
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT target, reason, subject, array_to_string(shards, ',') FROM console.audit_events
          WHERE client_addr = $1",
    )
    .bind(&app.addr)
    .fetch_all(&owner_pool().await)
    .await
    .unwrap();
    assert!(rows.len() >= 7, "{} records", rows.len());
    for r in &rows {
        let all = format!("{} {} {} {}", r.0, r.1, r.2, r.3);
        assert!(hits(&all).is_empty(), "audit record {all}");
    }
    assert!(
        rows.iter().any(|r| r.2 == keyed),
        "the lookup is recorded by the keyed HMAC of the phone's hash"
    );
    assert!(rows.iter().any(|r| r.1 == "SUP-7777 canary check"));
    assert_eq!(
        StatusCode::OK,
        app.get("/audit?action=lookup_patient", Some(&admin))
            .await
            .status
    );
}
