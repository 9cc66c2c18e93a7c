//! Every page, through the real router, for every role: its own `<title>` with no hydration
//! marker, one `<h1>`, the landmarks and the skip link; the overview sorted by `?sort=` without
//! JavaScript; the audit's action filter a select of every action. (axe-core and the keyboard are
//! checked in the browser: end2end/tests/look.spec.ts.)

use crate::common;

use common::TestApp;
use http::StatusCode;
use shardscope::auth::Role;

fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a <title>") + "<title>".len();
    let end = html[start..].find("</title>").expect("</title>") + start;
    &html[start..end]
}

fn check_structure(path: &str, who: &str, html: &str, want_title: &str, nav: bool) {
    assert_eq!(title(html), want_title, "{path} as {who}");
    assert_eq!(
        html.matches("<title>").count(),
        1,
        "{path} as {who}: one title"
    );
    assert_eq!(html.matches("<h1").count(), 1, "{path} as {who}: one h1");
    assert_eq!(
        html.matches("<main").count(),
        1,
        "{path} as {who}: one main"
    );
    assert!(
        html.contains(r#"<main id="main""#),
        "{path} as {who}: the skip link's target"
    );
    let skip = html
        .split(">Skip to content")
        .next()
        .and_then(|before| before.rsplit("<a ").next())
        .unwrap_or("");
    assert!(
        skip.contains(r##"href="#main""##) && skip.contains(r#"class="skip""#),
        "{path} as {who}: a skip link, got <a {skip}>"
    );
    assert!(
        html.find(">Skip to content<") < html.find("<header"),
        "{path} as {who}: the skip link comes first"
    );
    assert!(html.contains("<header"), "{path} as {who}: a header");
    assert_eq!(html.contains("<nav"), nav, "{path} as {who}: nav");
}

#[tokio::test]
async fn every_page_has_its_title_one_h1_and_landmarks_for_every_role() {
    let app = TestApp::new();
    let login = app.get("/login", None).await;
    check_structure(
        "/login",
        "anonymous",
        &login.body,
        "Sign in · shardscope",
        false,
    );

    for role in [Role::Superadmin, Role::Support, Role::Viewer] {
        let who = role.to_string();
        let cookie = app.session_as(role).await;
        let overview = app.get("/", Some(&cookie)).await;
        assert_eq!(overview.status, StatusCode::OK);
        check_structure(
            "/",
            &who,
            &overview.body,
            "Fleet overview · shardscope",
            true,
        );

        let audit = app.get("/audit", Some(&cookie)).await;
        if role == Role::Superadmin {
            assert_eq!(audit.status, StatusCode::OK);
            check_structure(
                "/audit",
                &who,
                &audit.body,
                "Access audit · shardscope",
                true,
            );
        } else {
            assert_eq!(audit.status, StatusCode::FORBIDDEN);
            check_structure(
                "/audit",
                &who,
                &audit.body,
                "Not allowed · shardscope",
                true,
            );
        }

        for (path, title) in [
            ("/shards", "Shards · shardscope"),
            ("/shards/us-1", "Shard us-1 · shardscope"),
            ("/pools", "Connection pools · shardscope"),
            ("/telemetry", "Requests · shardscope"),
            ("/telemetry/slow-queries", "Slow queries · shardscope"),
        ] {
            let page = app.get(path, Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK, "{path} as {who}");
            check_structure(path, &who, &page.body, title, true);
        }

        for (path, title) in [
            ("/tenants", "Tenants · shardscope"),
            ("/tenants/2", "Clínica São José · shardscope"),
            ("/routing", "Routing truth · shardscope"),
            ("/compliance", "RLS compliance · shardscope"),
            ("/placement", "Placement · shardscope"),
            ("/patients", "Patient lookup · shardscope"),
        ] {
            let page = app.get(path, Some(&cookie)).await;
            if role == Role::Viewer {
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} as {who}");
                check_structure(path, &who, &page.body, "Not allowed · shardscope", true);
            } else {
                assert_eq!(page.status, StatusCode::OK, "{path} as {who}");
                check_structure(path, &who, &page.body, title, true);
            }
        }

        let missing = app.get("/no-such-page", Some(&cookie)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        check_structure(
            "/no-such-page",
            &who,
            &missing.body,
            "Not found · shardscope",
            true,
        );
    }
}

/// (shard id, patients) of the overview's rows in the order the page's last stylesheet places
/// them.
fn placed_rows(html: &str) -> Vec<(String, i64)> {
    let css = html
        .rsplit("<style nonce=")
        .next()
        .and_then(|s| s.split_once('>'))
        .map(|(_, rest)| rest.split("</style>").next().unwrap_or(""))
        .expect("an order stylesheet");
    let mut placed: Vec<(i64, String)> = css
        .split('}')
        .filter_map(|rule| {
            let id = rule.split("data-shard=\"").nth(1)?.split('"').next()?;
            let order = rule.split("order:").nth(1)?.parse().ok()?;
            Some((order, id.to_string()))
        })
        .collect();
    placed.sort();
    placed
        .into_iter()
        .map(|(_, id)| {
            let row = html
                .split(&format!(r#"role="row" data-shard="{id}""#))
                .nth(1)
                .expect("the row");
            let patients = row
                .split("data-value=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .and_then(|v| v.parse().ok())
                .expect("patients");
            (id, patients)
        })
        .collect()
}

#[tokio::test]
async fn the_overview_is_sorted_by_the_url_without_javascript() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;

    let by_patients = app.get("/?sort=patients", Some(&cookie)).await;
    assert_eq!(by_patients.status, StatusCode::OK);
    let rows = placed_rows(&by_patients.body);
    assert!(rows.len() >= 2, "{rows:?}");
    let counts: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let mut want = counts.clone();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(counts, want, "rows placed by patients, most first");
    let header = |html: &str, label: &str| -> String {
        let at = html.find(&format!(">{label}<")).expect("the column header");
        let start = html[..at]
            .rfind("<span role=\"columnheader\"")
            .expect("its cell");
        html[start..at].to_string()
    };
    assert!(
        header(&by_patients.body, "Patients").contains(r#"aria-sort="descending""#),
        "the sorted column says so"
    );
    assert!(!header(&by_patients.body, "Shard").contains("aria-sort"));

    // By size and by connections likewise, biggest first, each by its own row attribute.
    for (sort, attr, label) in [
        ("size", "data-size", "DB size"),
        ("connections", "data-connections", "Connections"),
    ] {
        let page = app.get(&format!("/?sort={sort}"), Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{sort}");
        let values: Vec<i64> = placed_rows(&page.body)
            .into_iter()
            .map(|(id, _)| {
                let row = page
                    .body
                    .split(&format!(r#"role="row" data-shard="{id}""#))
                    .nth(1)
                    .expect("the row");
                row.split(&format!("{attr}=\""))
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{id}: {attr}"))
            })
            .collect();
        let mut want = values.clone();
        want.sort_by(|a, b| b.cmp(a));
        assert!(values.len() >= 2, "{sort}: {values:?}");
        assert_eq!(values, want, "rows placed by {sort}, biggest first");
        assert!(
            header(&page.body, label).contains(r#"aria-sort="descending""#),
            "{sort}: the sorted column says so"
        );
    }

    // The default (and anything unknown) is by shard id, A to Z.
    for path in ["/", "/?sort=shard", "/?sort=nonsense"] {
        let page = app.get(path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let ids: Vec<String> = placed_rows(&page.body).into_iter().map(|r| r.0).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "{path}");
        assert!(
            header(&page.body, "Shard").contains(r#"aria-sort="ascending""#),
            "{path}"
        );
        assert!(
            !header(&page.body, "Patients").contains("aria-sort"),
            "{path}"
        );
        // The test fleet routes an org to every shard it names: nothing is left unprobed (the
        // fault tier adds a shard only in shard_capacity and finds it counted here).
        assert!(
            page.body.contains("shards answered"),
            "{path}: the summary rendered"
        );
        assert!(
            !page.body.contains("data-without-endpoint"),
            "{path}: a shard counted as without endpoint on a clean fleet"
        );
    }
}

#[tokio::test]
async fn the_audit_action_filter_is_a_select_of_every_action() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Superadmin).await;
    let page = app.get("/audit?action=sign_out", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(r#"<select id="f-action" name="action">"#)
    );
    for action in shardscope::auth::AuditAction::ALL {
        assert!(
            page.body.contains(&format!(r#"<option value="{action}""#)),
            "{action} offered"
        );
    }
    assert!(
        page.body.contains(r#"<option value="sign_out" selected"#),
        "the current choice kept"
    );
    // A filter the server refuses keeps what was typed and says what to type.
    let bad = app.get("/audit?since=tomorrow", Some(&cookie)).await;
    assert!(bad.body.contains(r#"value="tomorrow""#));
    assert!(
        bad.body.contains("must be a date like 2026-11-28"),
        "{}",
        bad.body
    );
}
