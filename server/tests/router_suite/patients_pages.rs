//! The patient lookup through the real router on the real test fleet: a person registered at orgs
//! on two shards is found with both clinics from a phone typed in several formats; a shared
//! phone lists two people; each role's view; the break-glass reason is required and audited;
//! exactly one audit record per lookup and per opening (the identifier's hash, never its value);
//! bad input is a 400 that says what to type; the per-staff limit is a 429.

use crate::common;

use common::{TestApp, admin_pool, enc, fleet, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::{
    Plan, SEED, email_for, phone_for, plan, sha256_hex, spoken_phone, user_id_for,
};

fn the_plan() -> Plan {
    plan(&fleet().shards, SEED)
}

/// A person with a cross-shard link: (person id, home org, the other org).
fn cross_shard_person(plan: &Plan) -> (i64, i64, i64) {
    let (at, p) = plan
        .cross_links
        .iter()
        .find(|(_, p)| {
            p % 97 != 0 && (p + 1) % 97 != 0 && email_for(*p).is_some() && user_id_for(*p).is_some()
        })
        .copied()
        .expect("a cross-shard link in the plan");
    (p, plan.home_of(p).unwrap().id, at)
}

fn shard_of(plan: &Plan, org: i64) -> String {
    plan.orgs
        .iter()
        .find(|o| o.id == org)
        .unwrap()
        .shard_id
        .clone()
}

/// The person's name as stored on their home shard (read as the fleet's administrator).
async fn stored_name(plan: &Plan, person: i64) -> String {
    let home = plan.home_of(person).unwrap();
    let f = fleet();
    let port = f.shard(&home.shard_id).unwrap().primary_port;
    sqlx::query_scalar("SELECT name FROM patient_persons WHERE id = $1")
        .bind(person)
        .fetch_one(&admin_pool(port, &f.shard_database).await)
        .await
        .unwrap()
}

fn lookup_form(q: &str, region: &str) -> String {
    format!("op=lookup&kind=auto&region={region}&q={}", enc(q))
}

/// Every URL a response names: its Location, and every href, src, action and formaction.
fn urls_of(r: &common::Resp) -> Vec<String> {
    let mut out: Vec<String> = r.location().map(str::to_string).into_iter().collect();
    for attr in ["href=\"", "src=\"", "action=\"", "formaction=\""] {
        for part in r.body.split(attr).skip(1) {
            out.push(part.split('"').next().unwrap_or("").to_string());
        }
    }
    out
}

/// No URL of any response carries any of `secrets`; and there were URLs to look at.
fn assert_no_secret_in_urls(responses: &[common::Resp], secrets: &[String]) {
    let urls: Vec<String> = responses.iter().flat_map(urls_of).collect();
    assert!(
        urls.len() >= responses.len() * 3,
        "the pages carry links to check: {urls:?}"
    );
    for u in &urls {
        for s in secrets {
            assert!(!u.contains(s.as_str()), "a URL carries {s:?}: {u}");
        }
    }
}

/// Person ids on a results page, in order.
fn people(html: &str) -> Vec<i64> {
    html.split("data-person=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// Audit records of this app's client address: (action, target, reason, subject, result_count,
/// shards), oldest first.
async fn records(app: &TestApp) -> Vec<(String, String, String, String, Option<i32>, Vec<String>)> {
    sqlx::query_as(
        "SELECT action, target, reason, subject, result_count, shards FROM console.audit_events
          WHERE client_addr = $1 AND action NOT IN ('sign_in', 'sign_out') ORDER BY id",
    )
    .bind(&app.addr)
    .fetch_all(&owner_pool().await)
    .await
    .unwrap()
}

#[tokio::test]
async fn support_finds_a_cross_shard_person_from_a_phone_in_any_format() {
    let plan = the_plan();
    let (person, home, other) = cross_shard_person(&plan);
    let home_org = plan.orgs.iter().find(|o| o.id == home).unwrap();
    let e164 = phone_for(person, &home_org.region);
    let region = common::phone_region(&home_org.region);
    let name = stored_name(&plan, person).await;
    let app = TestApp::new();
    let cookie = app.session_as(Role::Support).await;
    let digits = &e164[e164.len() - 10..];
    let typed = [
        spoken_phone(&e164),
        e164.clone(),
        format!(
            "{} {}-{} ext. 12",
            &digits[..3],
            &digits[3..6],
            &digits[6..]
        ),
        format!("00{}", &e164[1..]),
    ];
    let mut responses = Vec::new();
    for q in &typed {
        let r = app
            .post("/patients", Some(&cookie), &lookup_form(q, region))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        assert!(
            people(&r.body).contains(&person),
            "{q} finds person {person}"
        );
        assert!(r.body.contains(&name), "{q}: the name from the home shard");
        for org in [home, other] {
            let shard = shard_of(&plan, org);
            assert!(
                r.body
                    .contains(&format!("data-org=\"{org}\" data-shard=\"{shard}\"")),
                "{q}: org {org} on {shard} is listed"
            );
        }
        assert_ne!(shard_of(&plan, home), shard_of(&plan, other));
        assert!(
            !r.body.contains("Portable profile"),
            "support sees no profile"
        );
        assert!(!r.body.contains("Date of birth"));
        assert!(
            !r.body.contains("name=\"reason\""),
            "support cannot open a profile"
        );
        assert!(
            r.body.contains("data-answered"),
            "says how many shards answered"
        );
        responses.push(r);
    }
    // One record per lookup: the phone's hash, never the phone.
    let recs = records(&app).await;
    assert_eq!(recs.len(), typed.len(), "{recs:?}");
    let total_shards = fleet().shards.len();
    for (action, target, reason, subject, count, shards) in &recs {
        assert_eq!(action, "lookup_patient");
        // A keyed HMAC of the registry hash, named by its key; never the plain hash.
        let keyed = app
            .console
            .config()
            .keys
            .audit_subject("phone", &sha256_hex(&e164));
        assert_eq!(subject, &keyed);
        assert!(!subject.contains(&sha256_hex(&e164)), "{subject}");
        assert_eq!(target, subject);
        assert!(reason.is_empty());
        assert!(count.unwrap() >= 1);
        assert_eq!(
            shards.len(),
            total_shards,
            "every shard was asked: {shards:?}"
        );
        assert!(!target.contains(&e164[2..]) && !subject.contains(&e164[2..]));
    }
    // By email (any case) and by platform user id: the same person.
    let email = email_for(person).unwrap().to_uppercase();
    let r = app
        .post("/patients", Some(&cookie), &lookup_form(&email, "US"))
        .await;
    assert_eq!(people(&r.body), vec![person], "{}", r.body);
    responses.push(r);
    let user = user_id_for(person).expect("the chosen person has a platform user id");
    let r = app
        .post(
            "/patients",
            Some(&cookie),
            &format!("op=lookup&kind=user&q={user}"),
        )
        .await;
    assert_eq!(people(&r.body), vec![person], "{}", r.body);
    responses.push(r);
    // Nothing of it in any URL any of these pages names, nor in a redirect.
    let local = email.split('@').next().unwrap().to_string();
    assert_no_secret_in_urls(
        &responses,
        &[
            e164[e164.len() - 7..].to_string(),
            local.clone(),
            local.to_lowercase(),
            name.clone(),
            sha256_hex(&e164),
        ],
    );
}

#[tokio::test]
async fn a_shared_phone_lists_both_people_and_an_unknown_one_nobody() {
    let plan = the_plan();
    let org = plan.orgs.iter().find(|o| o.patients > 200).unwrap();
    let p = (org.person_base / 97 + 1) * 97;
    let app = TestApp::new();
    let cookie = app.session_as(Role::Support).await;
    let region = if org.region.starts_with("eu") {
        "GB"
    } else {
        "US"
    };
    let r = app
        .post(
            "/patients",
            Some(&cookie),
            &lookup_form(&spoken_phone(&phone_for(p, &org.region)), region),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(people(&r.body), vec![p - 1, p], "a family shares the phone");
    assert!(r.body.contains("data-people=\"2\""));
    let nobody = app
        .post(
            "/patients",
            Some(&cookie),
            &lookup_form("(555) 000-0001", "US"),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert!(people(&nobody.body).is_empty());
    assert!(
        nobody.body.contains("no one with this identifier"),
        "{}",
        nobody.body
    );
    let recs = records(&app).await;
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].4, Some(2));
    assert_eq!(recs[1].4, Some(0));
    assert!(recs[1].5.is_empty(), "nobody found: no shard was asked");
}

#[tokio::test]
async fn a_superadmin_opens_the_full_profile_only_with_a_reason() {
    let plan = the_plan();
    let (person, home, other) = cross_shard_person(&plan);
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let home_org = plan.orgs.iter().find(|o| o.id == home).unwrap();
    let e164 = phone_for(person, &home_org.region);
    let region = common::phone_region(&home_org.region);
    let r = app
        .post("/patients", Some(&admin), &lookup_form(&e164, region))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("name=\"reason\""),
        "the superadmin may open it"
    );
    assert!(
        !r.body.contains("Portable profile"),
        "but not without a reason"
    );
    // No reason, too short, the patient's own name: 400, nothing opened, each refusal recorded
    // with its rule (never the reason's text).
    let name = stored_name(&plan, person).await;
    for (reason, says) in [
        ("", "give a reason"),
        ("SUP-1", "too short"),
        (name.as_str(), "must not contain"),
    ] {
        let r = app
            .post(
                "/patients",
                Some(&admin),
                &format!("op=open&person={person}&reason={}", enc(reason)),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{reason:?}");
        assert!(r.body.contains(says), "{reason:?}: {}", r.body);
        assert!(!r.body.contains("Portable profile"));
    }
    let opened = app
        .post(
            "/patients",
            Some(&admin),
            &format!(
                "op=open&person={person}&reason={}",
                enc("SUP-4821 identity check")
            ),
        )
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(opened.body.contains("Portable profile"));
    let f = fleet();
    let port = f.shard(&home_org.shard_id).unwrap().primary_port;
    let (dob, blood): (String, String) =
        sqlx::query_as("SELECT date_of_birth::text, blood_type FROM patient_persons WHERE id = $1")
            .bind(person)
            .fetch_one(&admin_pool(port, &f.shard_database).await)
            .await
            .unwrap();
    assert!(
        opened.body.contains(&dob),
        "the date of birth from the home shard"
    );
    assert!(opened.body.contains(&blood));
    // Which links the patient consented to share the profile with.
    let shared = |org: i64| {
        let at = opened.body.find(&format!("data-org=\"{org}\"")).unwrap();
        opened.body[at..].split("data-shared=\"").nth(1).unwrap()[..4].to_string()
    };
    // The seed: the home org's link is shared unless person % 5 == 0; cross links never are.
    assert_eq!(shared(home), if person % 5 == 0 { "fals" } else { "true" });
    assert_eq!(shared(other), "fals");
    let recs = records(&app).await;
    assert_eq!(
        recs.len(),
        5,
        "one lookup, three refusals, one opening: {recs:?}"
    );
    for (rec, rule) in recs[1..4]
        .iter()
        .zip(["missing", "too_short", "names_the_patient"])
    {
        assert_eq!(rec.0, "open_patient_profile_refused", "{rec:?}");
        assert_eq!(rec.1, format!("person:{person}"));
        assert_eq!(rec.2, format!("refused: {rule}"));
    }
    assert!(
        !format!("{recs:?}").contains(&name),
        "the refused reason's text (the patient's name) is not recorded"
    );
    assert_eq!(recs[4].0, "open_patient_profile");
    assert_eq!(recs[4].1, format!("person:{person}"));
    assert_eq!(recs[4].2, "SUP-4821 identity check");
    assert_eq!(recs[4].4, Some(1));
    // The audit page shows the reason and filters by the subject.
    let audit = app
        .get(
            &format!("/audit?subject={}", enc(&format!("person:{person}"))),
            Some(&admin),
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(
        audit.body.contains("SUP-4821 identity check"),
        "{}",
        audit.body
    );
    let by_phone = app
        .get(
            &format!(
                "/audit?subject={}",
                app.console
                    .config()
                    .keys
                    .audit_subject("phone", &sha256_hex(&e164))
            ),
            Some(&admin),
        )
        .await;
    assert!(
        by_phone.body.contains("data-action=\"lookup_patient\""),
        "{}",
        by_phone.body
    );
    assert!(
        !by_phone
            .body
            .contains("data-action=\"open_patient_profile\""),
        "filtered by the phone's subject only"
    );
}

#[tokio::test]
async fn support_cannot_open_a_profile_and_a_viewer_cannot_look_up() {
    let app = TestApp::new();
    let support = app.session_as(Role::Support).await;
    let r = app
        .post(
            "/patients",
            Some(&support),
            "op=open&person=1000001&reason=SUP-4821+please",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(!r.body.contains("Portable profile"));
    let r = app
        .post(
            "/api/patient-profile",
            Some(&support),
            "person=1000001&reason=SUP-4821+please",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let viewer = app.session_as(Role::Viewer).await;
    let page = app.get("/patients", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let post = app
        .post(
            "/patients",
            Some(&viewer),
            &lookup_form("(555) 000-0001", "US"),
        )
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    let api = app
        .post("/api/patient-lookup", Some(&viewer), "q=5550000001")
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    let anonymous = app
        .post("/patients", None, &lookup_form("(555) 000-0001", "US"))
        .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), Some("/login?next=%2Fpatients"));
    assert!(records(&app).await.is_empty(), "refusals look nothing up");
    // The navigation offers the page to support, not to a viewer.
    assert!(
        app.get("/", Some(&support))
            .await
            .body
            .contains("href=\"/patients\"")
    );
    assert!(
        !app.get("/", Some(&viewer))
            .await
            .body
            .contains("href=\"/patients\"")
    );
}

#[tokio::test]
async fn bad_input_is_a_400_that_says_what_to_type_and_records_nothing() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Support).await;
    for (form, says) in [
        ("op=lookup&q=", "enter a phone number"),
        ("op=lookup&q=hello+there", "looks like a word"),
        ("op=lookup&q=123", "too short"),
        ("op=lookup&q=555_123_4567", "may contain digits"),
        ("op=lookup&q=maria%40", "domain"),
        ("op=lookup&kind=user&q=abc", "whole number"),
        ("op=lookup&kind=name&q=5551234567", "kind of identifier"),
        ("op=lookup&region=XX&q=5551234567", "two-letter"),
        ("op=delete&q=5551234567", "unknown action"),
    ] {
        let r = app.post("/patients", Some(&cookie), form).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{form}: {}", r.body);
        assert!(r.body.contains(says), "{form}: {}", r.body);
        assert!(
            r.body.contains("action=\"/patients\""),
            "{form}: the form is shown again to correct it"
        );
    }
    let api = app
        .post("/api/patient-lookup", Some(&cookie), "q=hello+there")
        .await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert!(api.body.contains("looks like a word"), "{}", api.body);
    let huge = app
        .post(
            "/patients",
            Some(&cookie),
            &format!("q={}", "5".repeat(20_000)),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(records(&app).await.is_empty(), "no lookup ran");
}

#[tokio::test]
async fn the_server_function_answers_json_for_tools() {
    let plan = the_plan();
    let (person, home, other) = cross_shard_person(&plan);
    let home_org = plan.orgs.iter().find(|o| o.id == home).unwrap();
    let app = TestApp::new();
    let cookie = app.session_as(Role::Support).await;
    let r = app
        .post(
            "/api/patient-lookup",
            Some(&cookie),
            &format!("q={}", enc(&phone_for(person, &home_org.region))),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let found = &v["people"][0];
    assert_eq!(found["person_id"], person);
    let orgs: Vec<i64> = found["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["org_id"].as_i64().unwrap())
        .collect();
    assert!(orgs.contains(&home) && orgs.contains(&other), "{orgs:?}");
    assert!(found["profile"].is_null(), "support gets no profile");
    assert_eq!(records(&app).await.len(), 1);
}

#[tokio::test]
async fn lookups_per_staff_member_are_limited() {
    let app = TestApp::with(|c| c.patients.lookups_max = 2);
    let cookie = app.session_as(Role::Support).await;
    for _ in 0..2 {
        let r = app
            .post(
                "/patients",
                Some(&cookie),
                &lookup_form("(555) 000-0001", "US"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    for _ in 0..2 {
        let r = app
            .post(
                "/patients",
                Some(&cookie),
                &lookup_form("(555) 000-0001", "US"),
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(
            r.headers.get("retry-after").is_some(),
            "a 429 says when to try again"
        );
        assert!(r.body.contains("2 patient lookups"), "{}", r.body);
        assert!(r.body.contains("try again in"), "{}", r.body);
    }
    let recs = records(&app).await;
    let actions: Vec<&str> = recs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        actions,
        ["lookup_patient", "lookup_patient", "lookup_limited"],
        "the crossing is recorded once"
    );
}

#[tokio::test]
async fn the_search_box_hands_a_phone_or_email_to_the_lookup_never_to_a_url() {
    let plan = the_plan();
    let (person, home, _) = cross_shard_person(&plan);
    let home_org = plan.orgs.iter().find(|o| o.id == home).unwrap();
    // The search box reads national numbers in the console's default region (US).
    let person = if home_org.region.starts_with("eu") {
        plan.cross_links
            .iter()
            .map(|(_, p)| *p)
            .find(|p| {
                p % 97 != 0
                    && (p + 1) % 97 != 0
                    && !plan.home_of(*p).unwrap().region.starts_with("eu")
            })
            .expect("a person homed in the US")
    } else {
        person
    };
    let region = &plan.home_of(person).unwrap().region;
    let e164 = phone_for(person, region);
    let app = TestApp::new();
    let support = app.session_as(Role::Support).await;
    let email = email_for(person).unwrap();
    for typed in [spoken_phone(&e164), email.to_uppercase()] {
        let body = format!("q={}", enc(&typed));
        let r = app.post("/search", Some(&support), &body).await;
        // A 307: the browser posts the same body to the lookup; the address is /patients.
        assert_eq!(
            r.status,
            StatusCode::TEMPORARY_REDIRECT,
            "{typed:?}: {}",
            r.body
        );
        assert_eq!(r.location(), Some("/patients"), "no redirect carries it");
        let r = app.post("/patients", Some(&support), &body).await;
        assert_eq!(r.status, StatusCode::OK, "{typed:?}: {}", r.body);
        assert!(
            people(&r.body).contains(&person),
            "{typed:?}: the lookup found person {person}"
        );
        let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
        for attr in r.body.split(['"', '\'']).filter(|a| a.starts_with('/')) {
            assert!(
                !attr.contains(&digits[digits.len() - 7..]) && !attr.contains('@'),
                "{typed:?}: a link or action carries it: {attr}"
            );
        }
    }
    // An org name or id goes to the tenants list by redirect.
    let r = app.post("/search", Some(&support), "q=Clinic+42").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/tenants?q=Clinic%2042"));
    // The filter forms are POSTs too: the tenant list's own search hands a phone to the lookup,
    // any other free-text filter refuses it without echoing it, and the rest is a redirect.
    let spoken = spoken_phone(&e164);
    let body = format!("_page=%2Ftenants&q={}&shard=&sort=patients", enc(&spoken));
    let r = app.post("/filters", Some(&support), &body).await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT, "{}", r.body);
    assert_eq!(r.location(), Some("/patients"));
    let r = app.post("/patients", Some(&support), &body).await;
    assert!(
        people(&r.body).contains(&person),
        "the tenant filter's phone was looked up"
    );
    let r = app
        .post(
            "/filters",
            Some(&support),
            &format!("_page=%2Fpools&service={}", enc(&email)),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body
            .contains("\"service\" looks like a phone number or an email")
            && !r.body.contains('@'),
        "{}",
        r.body
    );
    // Fields that are not declared free text are checked too (security review L6): the telemetry
    // page's org id, the audit's staff field; and a phone inside other text, or in full-width
    // digits. Dates in the same form pass.
    let admin = app.session_as(Role::Superadmin).await;
    for (page, field, value) in [
        ("/telemetry", "org", "5550100100".to_string()),
        (
            "/telemetry",
            "org",
            format!("Maria {}", e164.trim_start_matches('+')),
        ),
        ("/audit", "staff", email.clone()),
        ("/pools", "service", "Phone: 555 010 0100".to_string()),
        (
            "/pools",
            "service",
            "\u{FF15}\u{FF15}\u{FF15}\u{FF10}\u{FF11}\u{FF10}\u{FF10}".to_string(),
        ),
    ] {
        let body = format!(
            "_page={}&from=2026-12-01T10%3A00&{field}={}",
            enc(page),
            enc(&value)
        );
        let r = app.post("/filters", Some(&admin), &body).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{page} {field}: {}",
            r.body
        );
        assert!(
            r.body.contains(&format!(
                "\"{field}\" looks like a phone number or an email"
            )) && !r.body.contains(&value),
            "{page} {field}: {}",
            r.body
        );
    }
    let r = app
        .post(
            "/filters",
            Some(&admin),
            "_page=%2Ftelemetry&org=101&from=2026-12-01T10%3A00&to=2026-12-02",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post(
            "/filters",
            Some(&support),
            "_page=%2Ftenants&q=north+gate&shard=&sort=patients",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/tenants?q=north%20gate&sort=patients"));
    let r = app
        .post("/filters", Some(&support), "_page=%2Fnowhere&q=x")
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an unknown page is no redirect target"
    );
    // A viewer (no lookup) is told why, without the phone echoed.
    let viewer = app.session_as(Role::Viewer).await;
    let r = app
        .post("/search", Some(&viewer), "q=%28555%29+867-5309")
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the viewer may not search tenants"
    );
}

/// Deletes this test's registry rows when dropped.
struct DeleteRegistryRows(std::ops::Range<i64>);

impl Drop for DeleteRegistryRows {
    fn drop(&mut self) {
        let (lo, hi) = (self.0.start, self.0.end);
        common::block_on_own_runtime(async move {
            sqlx::query("DELETE FROM patient_person_registry WHERE patient_person_id >= $1 AND patient_person_id < $2")
                .bind(lo)
                .bind(hi)
                .execute(&owner_pool().await)
                .await
                .unwrap();
        });
    }
}

#[tokio::test]
async fn an_identifier_shared_by_more_than_twenty_people_lists_twenty_and_says_so() {
    use shardscope::patients::{Identifier, Kind};
    // A number of this test's own (no seeded person has it), registered for 25 people.
    let pid = std::process::id() as i64;
    let phone = format!("+1415555{:04}", 7000 + pid % 1000);
    let hash = Identifier::parse(&phone, Kind::PhoneOrEmail, "US")
        .unwrap()
        .hash()
        .unwrap();
    let first = 8_000_000_000 + pid * 100;
    let ids = first..first + 25;
    let guard = DeleteRegistryRows(ids.clone());
    let home = fleet().shards[0].id.clone();
    for id in ids.clone() {
        sqlx::query(
            "INSERT INTO patient_person_registry (patient_person_id, phone_hash, home_shard_id)
             VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(&hash)
        .bind(&home)
        .execute(&owner_pool().await)
        .await
        .unwrap();
    }
    let app = TestApp::new();
    let cookie = app.session_as(Role::Support).await;
    let r = app
        .post("/patients", Some(&cookie), &lookup_form(&phone, "US"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let want: Vec<i64> = ids.clone().take(20).collect();
    assert_eq!(people(&r.body), want, "the first twenty by person id");
    assert!(
        r.body.contains(
            "More people share this identifier than are listed: only the first 20 are shown."
        ),
        "{}",
        r.body
    );
    let json = app
        .post(
            "/api/patient-lookup",
            Some(&cookie),
            &format!("q={}", enc(&phone)),
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["truncated"], true, "{}", json.body);
    assert_eq!(v["people"].as_array().unwrap().len(), 20);
    // Twenty exactly is not "more".
    sqlx::query(
        "DELETE FROM patient_person_registry WHERE patient_person_id >= $1 AND patient_person_id < $2",
    )
    .bind(first + 20)
    .bind(first + 25)
        .execute(&owner_pool().await)
        .await
        .unwrap();
    let twenty = app
        .post("/patients", Some(&cookie), &lookup_form(&phone, "US"))
        .await;
    assert_eq!(people(&twenty.body), want);
    assert!(!twenty.body.contains("More people share this identifier"));
    drop(guard);
}

#[tokio::test]
async fn a_lookups_subject_links_to_every_record_of_it_and_no_other() {
    let plan = the_plan();
    // The last cross-shard person (other tests look up the first).
    let (home, person) = plan
        .cross_links
        .iter()
        .rev()
        .map(|(_, p)| (plan.home_of(*p).unwrap().id, *p))
        .find(|(_, p)| p % 97 != 0 && (p + 1) % 97 != 0)
        .unwrap();
    let home_org = plan.orgs.iter().find(|o| o.id == home).unwrap();
    let region = common::phone_region(&home_org.region);
    let e164 = phone_for(person, &home_org.region);
    // Two staff members look the same person up (typed differently), one looks up someone else.
    let app = TestApp::new();
    let (a, pa) = common::new_account(Role::Support).await;
    let (b, pb) = common::new_account(Role::Support).await;
    let ca = app.session(&a, &pa).await;
    let cb = app.session(&b, &pb).await;
    assert_eq!(
        app.post("/patients", Some(&ca), &lookup_form(&e164, region))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.post(
            "/patients",
            Some(&cb),
            &lookup_form(&spoken_phone(&e164), region)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.post("/patients", Some(&ca), &lookup_form("(555) 000-0002", "US"))
            .await
            .status,
        StatusCode::OK
    );
    let recs = records(&app).await;
    assert_eq!(recs.len(), 3, "{recs:?}");
    let subject = recs[0].3.clone();
    assert_eq!(recs[1].3, subject, "one subject however it was typed");
    assert_ne!(recs[2].3, subject);

    let admin = app.session_as(Role::Superadmin).await;
    let list = app
        .get(&format!("/audit?staff={}", enc(&a)), Some(&admin))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let href = format!(
        "/audit?subject={}",
        shardscope_app::format::query_value(&subject)
    );
    assert!(
        list.body.contains(&format!("href=\"{href}\"")),
        "the record links its subject: {}",
        list.body
    );
    // Every record of the subject: this test's two, and any another test (or an earlier run on
    // this fleet) writes meanwhile, counted just before and just after the page.
    let of_subject = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM console.audit_events WHERE subject = $1")
            .bind(&subject)
            .fetch_one(&owner_pool().await)
            .await
            .unwrap()
    };
    let before = of_subject().await;
    let followed = app.get(&href, Some(&admin)).await;
    let after = of_subject().await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.body);
    assert!(before >= 2, "{before}");
    let rows = followed.body.matches("<tr data-action=").count() as i64;
    assert!(
        (before.min(100)..=after.min(100)).contains(&rows),
        "every record of the subject and nothing else: {rows} rows, {before}..{after} records"
    );
    assert!(followed.body.contains(&a) && followed.body.contains(&b));
    assert!(!followed.body.contains(&recs[2].3), "not the other subject");
}

/// Deletes a `patients` row on a shard when dropped.
struct DeleteLink {
    port: u16,
    org: i64,
    person: i64,
}

impl Drop for DeleteLink {
    fn drop(&mut self) {
        let (port, org, person) = (self.port, self.org, self.person);
        common::block_on_own_runtime(async move {
            let f = fleet();
            sqlx::query(
                "DELETE FROM patients WHERE organization_id = $1 AND patient_person_id = $2",
            )
            .bind(org)
            .bind(person)
            .execute(&admin_pool(port, &f.shard_database).await)
            .await
            .unwrap();
        });
    }
}

#[tokio::test]
async fn a_lookup_is_never_cached_or_shared_each_reads_the_shards_now() {
    let plan = the_plan();
    // A person of the third org's, looked up by no other test.
    let org = &plan.orgs[2];
    let person = (org.person_base + 5..)
        .find(|p| p % 97 != 0 && (p + 1) % 97 != 0)
        .unwrap();
    let region = if org.region.starts_with("eu") {
        "GB"
    } else {
        "US"
    };
    let phone = phone_for(person, &org.region);
    // A long cache TTL: were lookups cached like pages, the second would miss the new link.
    let app = TestApp::with(|c| c.engine.cache_ttl = std::time::Duration::from_secs(300));
    let cookie = app.session_as(Role::Support).await;
    let orgs_of = |body: &str| -> Vec<i64> {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let mut orgs: Vec<i64> = v["people"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["person_id"] == person)
            .flat_map(|p| p["links"].as_array().unwrap().clone())
            .map(|l| l["org_id"].as_i64().unwrap())
            .collect();
        orgs.sort();
        orgs
    };
    let form = format!("q={}&region={region}", enc(&phone));
    let lookup = || app.post("/api/patient-lookup", Some(&cookie), &form);
    let before = orgs_of(&lookup().await.body);
    assert!(
        before.contains(&org.id),
        "linked at its home org: {before:?}"
    );
    // A clinic on another shard registers the person (as the platform would, on its shard).
    // Not an org other tests count (2, 7 and the first ones): the last on another shard.
    let other = plan
        .orgs
        .iter()
        .rev()
        .find(|o| o.shard_id != org.shard_id && !before.contains(&o.id) && o.id > 10)
        .expect("an org on another shard");
    let f = fleet();
    let port = f.shard(&other.shard_id).unwrap().primary_port;
    sqlx::query("INSERT INTO patients (organization_id, patient_person_id) VALUES ($1, $2)")
        .bind(other.id)
        .bind(person)
        .execute(&admin_pool(port, &f.shard_database).await)
        .await
        .unwrap();
    let undo = DeleteLink {
        port,
        org: other.id,
        person,
    };
    let after = orgs_of(&lookup().await.body);
    assert!(after.contains(&other.id), "the new link at once: {after:?}");
    drop(undo);
    assert_eq!(orgs_of(&lookup().await.body), before, "and gone at once");

    // Identical lookups at the same moment are each their own: each read, each audited.
    let audited_before = records(&app).await.len();
    let answers = futures::future::join_all((0..4).map(|_| lookup())).await;
    let mut ids: Vec<i64> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["audit_id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "four lookups, four audit records: {ids:?}");
    assert_eq!(records(&app).await.len(), audited_before + 4);
}
