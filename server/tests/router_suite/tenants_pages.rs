//! The tenant pages through the real router on the real (clean) test fleet: search, filters,
//! sort, pages, exports, the tenant page's RLS-scoped counts and its audit record, no credential in
//! any output, and a clean fleet's routing truth and compliance.

use crate::common;

use common::{TestApp, enc, fleet, new_account, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::UNICODE_NAMES;

/// Org ids linked from the tenants table, in page order.
fn listed(html: &str) -> Vec<i64> {
    let table = html
        .split_once("id=\"tenants-table\"")
        .map_or("", |(_, t)| t.split("</table>").next().unwrap_or(""));
    let mut ids: Vec<i64> = Vec::new();
    for part in table.split("href=\"/tenants/").skip(1) {
        let id: i64 = part.split('"').next().unwrap().parse().unwrap();
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }
    ids
}

async fn support(app: &TestApp) -> String {
    app.session_as(Role::Support).await
}

#[tokio::test]
async fn search_is_a_prefix_of_the_id_or_any_word_ignoring_case_and_accents() {
    let app = TestApp::new();
    let cookie = support(&app).await;
    // "São" typed without the accent and in capitals, and a word in the middle of the name.
    for q in ["SAO", "jose", "Clin", "clínica"] {
        let r = app
            .get(&format!("/tenants?q={}", enc(q)), Some(&cookie))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        assert!(
            r.body.contains("Clínica São José"),
            "{q} finds the accented name"
        );
    }
    let rtl = app
        .get(&format!("/tenants?q={}", enc("الشفاء")), Some(&cookie))
        .await;
    assert!(rtl.body.contains(UNICODE_NAMES[2]), "a right-to-left word");
    let id = app.get("/tenants?q=2", Some(&cookie)).await;
    assert_eq!(
        listed(&id.body).first(),
        Some(&2),
        "an id prefix lists org 2 first"
    );
    let none = app.get("/tenants?q=zzqx", Some(&cookie)).await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(listed(&none.body).is_empty());
    assert!(
        none.body.contains("No organization matches"),
        "an empty result says so"
    );
    // A name that needs escaping is escaped.
    let esc = app.get("/tenants?q=zahn", Some(&cookie)).await;
    assert!(
        esc.body
            .contains("Zahnärzte Müller &amp; Söhne &lt;Nord&gt;"),
        "{}",
        esc.body
    );
    assert!(!esc.body.contains("<Nord>"));
}

#[tokio::test]
async fn filters_sort_pages_and_exports_agree_with_the_routing_db() {
    let app = TestApp::new();
    let cookie = support(&app).await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM tenant_shards")
        .fetch_one(&owner_pool().await)
        .await
        .unwrap();
    let pages = (total as usize).div_ceil(50);
    let first = app.get("/tenants", Some(&cookie)).await;
    assert_eq!(listed(&first.body).len(), 50.min(total as usize));
    let last = app
        .get(&format!("/tenants?page={pages}"), Some(&cookie))
        .await;
    assert_eq!(last.status, StatusCode::OK);
    assert_eq!(
        listed(&last.body).len(),
        total as usize - 50 * (pages - 1),
        "the last page holds the rest"
    );
    assert!(last.body.contains(&format!("page {pages} of {pages}")));
    let past = app
        .get(&format!("/tenants?page={}", pages + 1), Some(&cookie))
        .await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST);
    assert!(past.body.contains("past the last page"), "{}", past.body);

    // The JSON export is the whole view (all pages) in the page's order.
    let json = app
        .get("/tenants?sort=patients&dir=desc&format=json", Some(&cookie))
        .await;
    assert_eq!(json.status, StatusCode::OK);
    let rows = json_rows(&json.body);
    assert_eq!(rows.len() as i64, total);
    let patients: Vec<i64> = rows
        .iter()
        .map(|r| r["patients"].as_i64().unwrap_or(0))
        .collect();
    assert!(
        patients.windows(2).all(|w| w[0] >= w[1]),
        "sorted by patients, descending"
    );
    let page = app
        .get("/tenants?sort=patients&dir=desc", Some(&cookie))
        .await;
    assert_eq!(
        listed(&page.body)[0],
        rows[0]["org_id"].as_i64().unwrap(),
        "the page and the export agree"
    );
    assert!(page.body.contains("aria-sort=\"descending\""));

    let us1 = json_rows(
        &app.get("/tenants?shard=us-1&format=json", Some(&cookie))
            .await
            .body,
    );
    assert!(!us1.is_empty() && us1.iter().all(|r| r["shard_id"] == "us-1"));
    let csv = app
        .get("/tenants?shard=us-1&format=csv", Some(&cookie))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        csv.body.lines().count(),
        us1.len() + 1,
        "a header and one line per org"
    );
    let all = app.get("/tenants?format=csv", Some(&cookie)).await.body;
    assert!(
        all.contains("\"Physio 🦴 \"\"Harbor\"\" & Co\""),
        "quotes doubled, cell quoted"
    );
    assert!(
        all.contains("Zahnärzte Müller & Söhne <Nord>"),
        "CSV is not HTML-escaped"
    );
}

#[tokio::test]
async fn bad_input_is_a_400_that_says_what_to_type() {
    let app = TestApp::new();
    let cookie = support(&app).await;
    for (url, says) in [
        ("/tenants?shard=mars", "unknown shard \"mars\": use one of"),
        ("/tenants?region=moon", "unknown region"),
        ("/tenants?tier=gold", "unknown SLA tier"),
        ("/tenants?sort=colour", "unknown sort"),
        ("/tenants?dir=up", "asc or desc"),
        ("/tenants?page=0", "whole number from 1"),
        ("/tenants?format=xml", "format=csv or format=json"),
        ("/tenants/abc", "not an organization id"),
        ("/tenants/99999999", "no organization 99999999"),
        ("/tenants/2?range=fortnight", "range"),
    ] {
        let r = app.get(url, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
        assert!(r.body.contains(says), "{url} says {says:?}: {}", r.body);
    }
}

#[tokio::test]
async fn tenant_counts_come_from_its_rls_context_only() {
    let app = TestApp::new();
    let cookie = support(&app).await;
    let fleet = fleet();
    let us1 = fleet.shard("us-1").expect("us-1 in the test fleet");
    let admin =
        shardscope::migrate::connect(&fleet.admin_url(us1.primary_port, &fleet.shard_database))
            .await
            .unwrap();
    let (mine, all): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE organization_id = 2), count(*) FROM patients",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(
        all > mine && mine > 0,
        "other orgs share the shard ({mine} of {all})"
    );
    let page = app.get("/tenants/2", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let counts = page
        .body
        .split("data-counts=\"rls\"")
        .nth(1)
        .expect("counts shown");
    let shown = shardscope_app::format::count(mine);
    let dl = counts.split("</dl>").next().unwrap();
    assert!(
        dl.contains(&format!("<dd>{shown}<!></dd>")),
        "patients = org 2's own ({shown}), not the shard's ({all})"
    );
    // Every figure, in order, as the shard's administrator counts org 2's rows (the page reads
    // them under RLS with no WHERE organization_id).
    let (upcoming, last_30d, audit_24h): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM appointments WHERE organization_id = 2 AND starts_at >= now()),
                (SELECT count(*) FROM appointments WHERE organization_id = 2
                    AND starts_at >= now() - interval '30 days' AND starts_at < now()),
                (SELECT count(*) FROM audit_log WHERE organization_id = 2
                    AND created_at >= now() - interval '24 hours')",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    let figures: Vec<String> = dl
        .split("<dd>")
        .skip(1)
        .map(|d| d.split("</dd>").next().unwrap().replace("<!>", ""))
        .collect();
    let want: Vec<String> = [mine, upcoming, last_30d, audit_24h]
        .into_iter()
        .map(shardscope_app::format::count)
        .collect();
    assert_eq!(
        figures, want,
        "patients, appointments upcoming, last 30 days, audit rows 24 h"
    );
    assert!(
        upcoming + last_30d > 0,
        "the seed gives org 2 appointments around its seeding ({upcoming} upcoming, {last_30d} past)"
    );

    // The reader role itself: outside a scoped transaction it sees no tenant row at all; inside
    // one it sees exactly that org's rows; it can write nothing.
    let config = common::config();
    let url = format!(
        "postgres://{}:{}@{}:{}/{}",
        config.tenants.reader_user,
        config.tenants.reader_password.as_ref().unwrap().expose(),
        fleet.host,
        us1.primary_port,
        fleet.shard_database
    );
    let reader = shardscope::migrate::connect(&url).await.unwrap();
    for table in [
        "patients",
        "appointments",
        "organizations",
        "audit_log",
        "patient_persons",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&reader)
                .await
                .unwrap();
        assert_eq!(n, 0, "{table}: no rows without an RLS context");
    }
    let mut tx = shardscope::tenants::reader::begin_scoped(&reader, 2, 1)
        .await
        .unwrap();
    let scoped: i64 = sqlx::query_scalar("SELECT count(*) FROM patients")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(scoped, mine);
    // The context the platform's policies read: an ordinary role (never `superadmin`, which the
    // policies let see every org) and the staff member reading.
    let (org, role, user): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('app.current_org_id'), current_setting('app.current_role'),
                current_setting('app.current_user_id')",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(
        (org.as_str(), role.as_str(), user.as_str()),
        ("2", "console_reader", "1"),
        "the RLS context of a scoped read"
    );
    let write = sqlx::query("DELETE FROM appointments")
        .execute(&mut *tx)
        .await;
    // The read-only transaction refuses it (25006) — checked before privileges, so this is the
    // transaction's doing, not the missing DELETE grant's (42501).
    let code = write
        .as_ref()
        .err()
        .and_then(|e| e.as_database_error())
        .and_then(|e| e.code())
        .map(|c| c.to_string());
    assert_eq!(
        code.as_deref(),
        Some("25006"),
        "read_only_sql_transaction, got {write:?}"
    );
    drop(tx);
    let privileges: Vec<(String, bool)> = sqlx::query_as(
        "SELECT p, has_table_privilege(current_user, 'patients', p)
           FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p",
    )
    .fetch_all(&reader)
    .await
    .unwrap();
    for (p, has) in privileges {
        assert_eq!(has, p == "SELECT", "the reader's {p} on patients");
    }
    let (bypass, superuser): (bool, bool) =
        sqlx::query_as("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&reader)
            .await
            .unwrap();
    assert!(!bypass && !superuser);
    for setting in [
        "app.current_org_id",
        "app.current_role",
        "app.current_user_id",
    ] {
        let ctx: Option<String> = sqlx::query_scalar("SELECT current_setting($1, true)")
            .bind(setting)
            .fetch_one(&reader)
            .await
            .unwrap();
        assert!(
            ctx.unwrap_or_default().is_empty(),
            "SET LOCAL: {setting} does not outlive the transaction"
        );
    }
}

/// The `view_tenant` audit records one account has for one org.
async fn view_tenant_records(email: &str, org: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM console.audit_events
          WHERE staff_email = $1 AND action = 'view_tenant' AND target = $2",
    )
    .bind(email)
    .bind(format!("org:{org}"))
    .fetch_one(&owner_pool().await)
    .await
    .unwrap()
}

#[tokio::test]
async fn opening_a_tenant_writes_exactly_one_view_tenant_record() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Support).await;
    let cookie = app.session(&email, &password).await;
    let count = || view_tenant_records(&email, 2);
    assert_eq!(count().await, 0);
    assert_eq!(
        app.get("/tenants/2", Some(&cookie)).await.status,
        StatusCode::OK
    );
    assert_eq!(count().await, 1);
    // The server function (what the browser calls on client-side navigation) records it too.
    let r = app.post("/api/tenant", Some(&cookie), "org=2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count().await, 2);
    // A refused or bad request records nothing.
    assert_eq!(
        app.get("/tenants/abc", Some(&cookie)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(count().await, 2);
    // Support does not see the access audit (staff emails and addresses are a superadmin's):
    // neither on the page nor from the server function.
    let again = app.get("/tenants/2", Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        !again.body.contains(r#"id="t-access""#) && !again.body.contains("Who opened this tenant"),
        "support is shown no access audit on the tenant page"
    );
    let api = app.post("/api/tenant", Some(&cookie), "org=2").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert!(
        api.body.contains(
            r#""access":{"Withheld":"who opened this tenant is in the access audit, a superadmin's to read"}"#
        ) && !api.body.contains(&email),
        "support's /api/tenant carries no access audit: {}",
        &api.body[api.body.len().saturating_sub(300)..]
    );
    // A superadmin's page lists the earlier openings in its own access audit.
    let admin = app.session_as(Role::Superadmin).await;
    let page = app.get("/tenants/2", Some(&admin)).await;
    assert!(
        page.body.contains(r#"id="t-access""#) && page.body.contains(&email),
        "the superadmin's tenant page lists the support reader in its access audit"
    );
}

#[tokio::test]
async fn no_credential_of_tenant_shards_in_any_output() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Superadmin).await;
    let fleet = fleet();
    let config = common::config();
    let secrets = [
        fleet.app_password.clone(),
        fleet.monitor_password.clone(),
        fleet.admin_password.clone(),
        fleet.console_password.clone(),
        config
            .tenants
            .reader_password
            .as_ref()
            .unwrap()
            .expose()
            .to_string(),
    ];
    let mut seen = 0;
    for (get, path) in [
        (true, "/tenants"),
        (true, "/tenants?format=csv"),
        (true, "/tenants?format=json"),
        (true, "/tenants/2"),
        (true, "/routing"),
        (true, "/compliance"),
        (false, "/api/tenant"),
        (false, "/api/routing"),
        (false, "/api/compliance"),
    ] {
        let r = if get {
            app.get(path, Some(&cookie)).await
        } else {
            app.post(path, Some(&cookie), "org=2").await
        };
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        for s in &secrets {
            assert!(s.len() >= 8);
            assert!(!r.body.contains(s.as_str()), "{path} shows a password");
        }
        seen += r.body.len();
    }
    let page = app.get("/tenants/2", Some(&cookie)).await;
    let us1 = fleet.shard("us-1").unwrap();
    assert!(
        page.body
            .contains(&format!("127.0.0.1:{}/platform", us1.primary_port)),
        "the endpoint is shown, without its credentials"
    );
    assert!(seen > 10_000);
}

#[tokio::test]
async fn a_clean_fleet_has_no_routing_findings_and_no_compliance_issues() {
    let app = TestApp::new();
    let cookie = support(&app).await;
    let n = fleet().shards.len();
    let routing = app.get("/routing", Some(&cookie)).await;
    assert_eq!(routing.status, StatusCode::OK);
    assert!(
        routing.body.contains(&format!("data-answered=\"{n}/{n}\"")),
        "{}",
        routing.body
    );
    assert!(
        routing.body.contains("data-findings=\"0\""),
        "{}",
        routing.body
    );
    let compliance = app.get("/compliance", Some(&cookie)).await;
    assert_eq!(compliance.status, StatusCode::OK);
    assert!(
        compliance
            .body
            .contains(&format!("data-answered=\"{n}/{n}\""))
    );
    assert!(
        compliance.body.contains("data-issues=\"0\""),
        "{}",
        compliance.body
    );
    assert!(compliance.body.contains("forced · 1 policy"));
}

#[tokio::test]
async fn placement_previews_the_seed_rules_and_lists_the_noisy_neighbour() {
    let app = TestApp::new();
    let cookie = support(&app).await;
    let owner = owner_pool().await;
    // The least-loaded shared shard of us-east-1 by org count, as assign_shard orders them.
    let want: String = sqlx::query_scalar(
        "SELECT shard_id FROM shard_capacity WHERE region = 'us-east-1' AND shard_type = 'shared'
           AND current_orgs < max_orgs AND current_patients + 12000 <= max_patients
         ORDER BY current_orgs, shard_id LIMIT 1",
    )
    .fetch_one(&owner)
    .await
    .unwrap();
    let r = app
        .get(
            "/placement?region=us-east-1&patients=12%2C000",
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-decision=\"shared\""), "{}", r.body);
    assert!(
        r.body.contains(&format!("Shared shard {want}")),
        "{}",
        r.body
    );
    let big = app
        .get("/placement?region=us-east-1&patients=50001", Some(&cookie))
        .await;
    assert!(big.body.contains("data-decision=\"dedicated\""));
    let exactly = app
        .get("/placement?region=us-east-1&patients=50000", Some(&cookie))
        .await;
    assert!(
        exactly.body.contains("data-decision=\"shared\""),
        "the seed's rule is > 50 000"
    );
    for (url, says) in [
        ("/placement?region=mars&patients=3", "unknown region"),
        ("/placement?region=us-east-1&patients=lots", "whole number"),
        (
            "/placement?region=us-east-1&patients=5&tier=gold",
            "standard or enterprise",
        ),
        ("/placement?patients=5", "choose a region"),
    ] {
        let r = app.get(url, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}");
        assert!(r.body.contains(says), "{url}: {}", r.body);
    }
    // The seeded noisy neighbour (the busy shard's smallest org) is listed with a move.
    let fleet = fleet();
    let plan = shardscope::demo::seed::plan(&fleet.shards, shardscope::demo::seed::SEED);
    let noisy = shardscope::demo::seed::noisy_org(&plan).expect("a noisy org in the plan");
    let page = app.get("/placement", Some(&cookie)).await;
    assert!(page.body.contains("data-noisy="), "{}", page.body);
    assert!(
        page.body.contains(&format!("href=\"/tenants/{noisy}\"")),
        "org {noisy} is listed: {}",
        page.body
    );
    assert!(page.body.contains("move to "), "with a move in its region");
}

/// The raw markup a hostile org name carries; none of it may reach a page as markup.
const HOSTILE_MARKUP: [&str; 4] = [
    "</title><meta",
    "<meta http-equiv=\"refresh\"",
    "<script>alert(1)",
    "<img src=x",
];

/// The `<title>` element's text as the server wrote it.
fn title_of(html: &str) -> &str {
    html.split_once("<title>")
        .and_then(|(_, t)| t.split_once("</title>"))
        .map_or("", |(t, _)| t)
}

#[tokio::test]
async fn a_hostile_org_name_is_text_on_every_page_that_shows_names() {
    use shardscope::demo::seed::HOSTILE_NAME;
    let app = TestApp::new();
    let cookie = app.session_as(Role::Superadmin).await;
    let found = app.get("/tenants?q=northgate", Some(&cookie)).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let id = *listed(&found.body)
        .first()
        .expect("the seeded hostile org is found by a word of its name");
    let escaped = shardscope_app::components::escape_html(HOSTILE_NAME);
    // As a text node carries it (html_escape::encode_text: & < > only).
    let as_text = HOSTILE_NAME
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let tenant = app.get(&format!("/tenants/{id}"), Some(&cookie)).await;
    assert_eq!(tenant.status, StatusCode::OK, "{}", tenant.body);
    assert_eq!(
        title_of(&tenant.body),
        format!("{escaped} · shardscope"),
        "the tenant page's <title> carries the name as escaped text"
    );
    // Where the name is shown it must be shown as text (not only be free of markup): the tenant
    // list and page, its shard's org list, and the placement page when it is the noisy neighbour.
    // Routing, compliance and telemetry name orgs by id only; there the test is that no markup
    // appears.
    let plan = shardscope::demo::seed::plan(&fleet().shards, shardscope::demo::seed::SEED);
    let org = plan
        .orgs
        .iter()
        .find(|o| o.name == HOSTILE_NAME)
        .expect("the plan names one org with the hostile name");
    assert_eq!(org.id, id, "the search found the planned org");
    let noisy = shardscope::demo::seed::noisy_org(&plan);
    for (path, shows_it) in [
        ("/tenants?q=northgate".to_string(), true),
        (format!("/tenants/{id}"), true),
        (format!("/tenants?q={id}"), true),
        (format!("/shards/{}", org.shard_id), true),
        ("/tenants".to_string(), false),
        ("/placement".to_string(), noisy == Some(id)),
        ("/routing".to_string(), false),
        ("/compliance".to_string(), false),
        (format!("/telemetry?org={id}"), false),
        ("/telemetry?group=org".to_string(), false),
        ("/tenants?q=northgate&format=json".to_string(), false),
    ] {
        let r = app.get(&path, Some(&cookie)).await;
        assert!(
            r.status.is_success(),
            "{path}: {} {}",
            r.status,
            &r.body[..r.body.len().min(300)]
        );
        for raw in HOSTILE_MARKUP {
            assert!(
                !r.body.contains(raw),
                "{path} carries {raw:?} as markup: {}",
                r.body.split_once(raw).map_or("", |(before, _)| &before
                    [before.len().saturating_sub(200)..])
            );
        }
        if shows_it {
            assert!(
                r.body.contains(&as_text),
                "{path} shows the name as readable text"
            );
        }
        // The shard page's org list links the org by its name's text.
        if path.starts_with("/shards/") {
            assert!(
                r.body.contains(&format!("href=\"/tenants/{id}\"")),
                "{path} lists org {id}"
            );
        }
    }
    // The patient lookup's clinics: a person of the hostile org, looked up by phone.
    let person = (org.person_base..org.person_base + org.patients)
        .find(|p| p % 97 != 0 && (p + 1) % 97 != 0)
        .unwrap();
    let phone = shardscope::demo::seed::phone_for(person, &org.region);
    let region = if org.region.starts_with("eu") {
        "GB"
    } else {
        "US"
    };
    let r = app
        .post(
            "/patients",
            Some(&cookie),
            &format!("op=lookup&kind=auto&region={region}&q={}", enc(&phone)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&as_text),
        "the lookup lists the hostile clinic as text"
    );
    for raw in HOSTILE_MARKUP {
        assert!(!r.body.contains(raw), "/patients carries {raw:?} as markup");
    }
    // JSON carries the name exactly (its markup as \u003c escapes, which any JSON reader decodes).
    let json = app
        .get("/tenants?q=northgate&format=json", Some(&cookie))
        .await;
    let rows = json_rows(&json.body);
    assert_eq!(rows[0]["name"], HOSTILE_NAME, "{}", json.body);
    // CSV is text for a spreadsheet: the leading formula is guarded.
    let csv = app
        .get("/tenants?q=northgate&format=csv", Some(&cookie))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains(",\"'=1+2 Northgate"),
        "the formula is prefixed with ': {}",
        csv.body
    );
}

/// The rows of a table's JSON export (`{table, columns, rows}`).
fn json_rows(body: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(body).expect("a JSON export");
    assert_eq!(v["table"], "tenants", "{body}");
    v["rows"].as_array().expect("rows").clone()
}

/// Every command Redis executes while `work` runs, as MONITOR reports them: (command upper-cased,
/// its arguments joined by spaces).
async fn monitored<F: std::future::Future<Output = ()>>(work: F) -> Vec<(String, String)> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let url = common::config().redis_url.unwrap();
    let addr = url
        .expose()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_string();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    sock.write_all(b"MONITOR\r\n").await.unwrap();
    let mut lines = BufReader::new(sock).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("+OK"));
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("\"ECHO\" \"monitor-done\"") {
                break;
            }
            // +1700000000.123456 [0 127.0.0.1:54321] "GET" "shard:2"
            let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
            if let Some(cmd) = quoted.first() {
                seen.push((cmd.to_ascii_uppercase(), quoted[1..].join(" ")));
            }
        }
        seen
    });
    work.await;
    let client = redis::Client::open(url.expose()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: String = redis::cmd("ECHO")
        .arg("monitor-done")
        .query_async(&mut conn)
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(20), reader)
        .await
        .expect("MONITOR saw the closing ECHO within 20 s")
        .unwrap()
}

#[tokio::test]
async fn the_routing_cache_is_read_with_get_ttl_and_scan_only_and_a_missing_entry_is_flagged() {
    // A prefix of this test's own, so every command naming it is the console's routing-cache
    // reader (sessions, sign-in limits and the probe cache use other keys).
    let prefix = format!("rc-test-{}:", std::process::id());
    let org = 2;
    let routed: String =
        sqlx::query_scalar("SELECT shard_id FROM tenant_shards WHERE organization_id = $1")
            .bind(org)
            .fetch_one(&owner_pool().await)
            .await
            .unwrap();
    let app = TestApp::with(|c| {
        c.tenants.routing_cache_prefix = prefix.clone();
        c.engine.cache_ttl = std::time::Duration::ZERO;
    });
    let cookie = support(&app).await;
    let redis = redis::Client::open(common::config().redis_url.unwrap().expose()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();

    let missing = app.get(&format!("/tenants/{org}"), Some(&cookie)).await;
    assert!(
        missing.body.contains("data-cache=\"missing\""),
        "no entry under {prefix}: {}",
        missing.body
    );
    let _: () = redis::cmd("SET")
        .arg(format!("{prefix}{org}"))
        .arg(&routed)
        .arg("EX")
        .arg(300)
        .query_async(&mut conn)
        .await
        .unwrap();
    let commands = monitored(async {
        let page = app.get(&format!("/tenants/{org}"), Some(&cookie)).await;
        assert!(page.body.contains("data-cache=\"agrees\""), "{}", page.body);
        let routing = app.get("/routing", Some(&cookie)).await;
        assert_eq!(routing.status, StatusCode::OK, "{}", routing.body);
    })
    .await;
    let _: () = redis::cmd("DEL")
        .arg(format!("{prefix}{org}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let mine: Vec<&(String, String)> = commands
        .iter()
        .filter(|(_, args)| args.contains(&prefix))
        .collect();
    assert!(
        !commands.iter().any(|(c, _)| c == "KEYS"),
        "KEYS was sent: {commands:?}"
    );
    for (cmd, args) in &mine {
        assert!(
            ["GET", "TTL", "SCAN"].contains(&cmd.as_str()),
            "{cmd} {args}: the console only reads the cache"
        );
    }
    for want in ["GET", "TTL", "SCAN"] {
        assert!(
            mine.iter().any(|(c, _)| c == want),
            "{want} among the cache reads: {mine:?}"
        );
    }
    let pattern = format!("MATCH {prefix}*");
    assert!(
        mine.iter()
            .filter(|(c, _)| c == "SCAN")
            .all(|(_, args)| args.contains(&pattern)),
        "every SCAN matches the prefix only: {mine:?}"
    );
}

#[tokio::test]
async fn without_the_tenant_readers_password_counts_say_not_configured_and_the_rest_works() {
    let app = TestApp::with(|c| c.tenants.reader_password = None);
    let cookie = support(&app).await;
    let page = app.get("/tenants/2", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.body.contains("data-counts=\"rls\""),
        "no counts without the reader"
    );
    assert!(
        page.body.contains("SHARDSCOPE_TENANT_READER_PASSWORD"),
        "the page names what to set: {}",
        page.body
    );
    assert!(page.body.contains("not configured"), "{}", page.body);
    for path in [
        "/",
        "/shards",
        "/tenants",
        "/routing",
        "/compliance",
        "/placement",
    ] {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert!(
            !r.body.contains("not configured"),
            "{path} does not need the reader"
        );
    }
}

#[tokio::test]
async fn a_tenant_link_from_another_site_is_not_opened_until_confirmed_here() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Support).await;
    let cookie = app.session(&email, &password).await;
    let records = || view_tenant_records(&email, 2);
    let get = |path: &'static str, site: &'static str| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            app.send(
                http::Request::get(path)
                    .header("cookie", cookie)
                    .header("sec-fetch-site", site)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let open = |site| get("/tenants/2", site);
    for site in ["cross-site", "same-site"] {
        let r = open(site).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{site}: {}", r.body);
        assert!(
            r.body
                .contains("This link to tenant 2 came from another site"),
            "{site}: {}",
            r.body
        );
        assert!(
            r.body.contains("href=\"/tenants/2\"") && r.body.contains("Open tenant 2"),
            "{site}: the confirmation link: {}",
            r.body
        );
        assert!(
            !r.body.contains("data-counts="),
            "{site}: nothing of the tenant read"
        );
        assert_eq!(records().await, 0, "{site}: nothing recorded in her name");
    }
    // From the console itself (the confirmation link), or typed into the address bar: opened.
    for (site, n) in [("same-origin", 1), ("none", 2)] {
        let r = open(site).await;
        assert_eq!(r.status, StatusCode::OK, "{site}: {}", r.body);
        assert_eq!(records().await, n, "{site}");
    }
    // Each of its tables as an export is an opening too: refused from another site, recorded
    // from here, before anything is read.
    let export = "/tenants/2?format=csv&table=routes";
    let r = get(export, "cross-site").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body
            .starts_with("This link to tenant 2 came from another site"),
        "{}",
        r.body
    );
    assert_eq!(records().await, 2, "a refused export records nothing");
    let r = get(export, "same-origin").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.starts_with("route,requests,"), "{}", r.body);
    assert_eq!(
        records().await,
        3,
        "an export of a tenant's table is recorded"
    );
    // Who opened it before is a superadmin's: refused to support with why, and not recorded.
    let r = get("/tenants/2?format=json&table=access", "same-origin").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        r.body,
        "who opened a tenant is in the access audit, which your role (support) may not read"
    );
    assert_eq!(records().await, 3);
}
