//! The patient lookup with a shard down, on the real fleet: the primary of the shard holding one
//! of a person's links is stopped → the page still answers 200 with the other shards' links, and
//! that shard's links are "unknown (… did not answer …)", never absent; with the home shard's
//! primary stopped the name is unavailable (said why) while the other links are listed. The
//! lookup is audited either way.

use crate::common;

use common::{Restart, TestApp, fleet, fleet_cmd, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::{SEED, plan};

#[tokio::test]
async fn a_silent_shard_makes_its_links_unknown_and_the_page_answers() {
    let f = fleet();
    let p = plan(&f.shards, SEED);
    // A person homed on a shared shard with a link on another shard that is not the first one
    // (the benchmark and other tests lean on the first).
    let (at, person) = p
        .cross_links
        .iter()
        .copied()
        .find(|(at, person)| {
            let home = p.home_of(*person).unwrap();
            let other = p.orgs.iter().find(|o| o.id == *at).unwrap();
            person % 97 != 0
                && (person + 1) % 97 != 0
                && home.shard_type == "shared"
                && other.shard_id != f.shards[0].id
        })
        .expect("a cross-shard person");
    let home = p.home_of(person).unwrap().clone();
    let other = p.orgs.iter().find(|o| o.id == at).unwrap().clone();
    let form = common::phone_lookup_form(person, &home.region);
    let app = TestApp::new();
    let cookie = app.session_as(Role::Support).await;
    let before = app.post("/patients", Some(&cookie), &form).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains(&format!("data-org=\"{at}\"")));

    let mut restart = Restart(vec![]);
    fleet_cmd(&["stop-node", &other.shard_id]);
    restart.0.push(other.shard_id.clone());
    let r = app.post("/patients", Some(&cookie), &form).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the page never fails whole: {}",
        r.body
    );
    assert!(
        r.body
            .contains(&format!("data-unknown-shard=\"{}\"", other.shard_id)),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!(
            "Links on shard {0}: unknown (shard {0} did not answer",
            other.shard_id
        )),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains(&format!("data-org=\"{at}\"")),
        "no link is invented for the silent shard"
    );
    assert!(
        r.body.contains(&format!("data-org=\"{}\"", home.id)),
        "the home shard's link is still listed"
    );
    let total = f.shards.len();
    assert!(
        r.body
            .contains(&format!("{} of {total} shards answered", total - 1)),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("Name unavailable"),
        "the home shard answered"
    );
    drop(restart);

    // The home shard down: the name cannot be read (and the page says why); the other shard's
    // link is listed.
    let mut restart = Restart(vec![]);
    fleet_cmd(&["stop-node", &home.shard_id]);
    restart.0.push(home.shard_id.clone());
    let r = app.post("/patients", Some(&cookie), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!(
            "Name unavailable: its home shard {} did not answer",
            home.shard_id
        )),
        "{}",
        r.body
    );
    assert!(r.body.contains(&format!("data-org=\"{at}\"")), "{}", r.body);
    drop(restart);

    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM console.audit_events WHERE client_addr = $1 AND action = 'lookup_patient'",
    )
    .bind(&app.addr)
    .fetch_one(&owner_pool().await)
    .await
    .unwrap();
    assert_eq!(n, 3, "every lookup is recorded, whatever answered");
}

#[tokio::test]
async fn a_shard_that_never_answers_costs_a_lookup_one_deadline_and_the_rest_is_listed() {
    let f = fleet();
    let p = plan(&f.shards, SEED);
    let (at, person) = p
        .cross_links
        .iter()
        .copied()
        .find(|(at, person)| {
            let home = p.home_of(*person).unwrap();
            let other = p.orgs.iter().find(|o| o.id == *at).unwrap();
            person % 97 != 0 && (person + 1) % 97 != 0 && other.shard_id != home.shard_id
        })
        .expect("a cross-shard person");
    let home = p.home_of(person).unwrap().clone();
    let other = p.orgs.iter().find(|o| o.id == at).unwrap().clone();
    let form = common::phone_lookup_form(person, &home.region);
    let deadline = std::time::Duration::from_secs(2);
    // A fresh console: no pooled connection to the silent shard, so its connect meets a
    // postmaster the kernel lets accept but that never answers.
    let app = TestApp::with(|c| c.engine.shard_deadline = deadline);
    let cookie = app.session_as(Role::Support).await;
    let resume = common::sigstop(&common::postgres_pid_file(&other.shard_id));
    let started = std::time::Instant::now();
    let r = app.post("/patients", Some(&cookie), &form).await;
    let took = started.elapsed();
    drop(resume);
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Every shard is asked at once: one deadline for the silent one, not one per shard.
    assert!(
        took < deadline + std::time::Duration::from_secs(4),
        "the lookup took {took:?} with one silent shard (deadline {deadline:?})"
    );
    assert!(
        r.body
            .contains(&format!("data-unknown-shard=\"{}\"", other.shard_id)),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!("data-org=\"{}\"", home.id)),
        "the home shard's link is listed: {}",
        r.body
    );
    let total = f.shards.len();
    assert!(
        r.body
            .contains(&format!("{} of {total} shards answered", total - 1)),
        "{}",
        r.body
    );
}
