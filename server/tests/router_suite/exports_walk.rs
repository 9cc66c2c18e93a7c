//! Every page × each of its tables × every role, through the router on the demo-like test fleet:
//! an export tells the same truth as the page, to the same role. The JSON's columns are the HTML
//! header (less the columns the page shows as headings), its row count is the HTML table's (every
//! page of a paged table; a shard's "no answer" notice counts as its row), the CSV's header is the
//! JSON's keys, and the status is the page's.

use axum::http::StatusCode;
use shardscope::auth::Role;
use shardscope_app::routes;

use crate::common::{self, TestApp};

/// The text of an HTML fragment as a reader hears it: tags, Leptos' `<!>` markers and
/// `aria-hidden` spans (a sort arrow) dropped, entities decoded.
fn text(html: &str) -> String {
    let mut html = html.to_string();
    while let Some(at) = html.find(r#"aria-hidden="true""#) {
        let open = html[..at].rfind("<span").expect("aria-hidden on a span");
        let close = at + html[at..].find("</span>").expect("a closed span") + "</span>".len();
        html.replace_range(open..close, "");
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// What is inside the `<span …>` that starts at `from` (nested spans kept).
fn span_inner(html: &str, from: usize) -> &str {
    let open_end = from + html[from..].find('>').expect("span opens") + 1;
    let mut depth = 1;
    let mut at = open_end;
    loop {
        let next_open = html[at..].find("<span").map(|i| at + i);
        let next_close = at + html[at..].find("</span>").expect("a closed span");
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                at = o + "<span".len();
            }
            _ => {
                depth -= 1;
                if depth == 0 {
                    return &html[open_end..next_close];
                }
                at = next_close + "</span>".len();
            }
        }
    }
}

/// An ARIA grid (`role="table"`, the overview's): its `role="columnheader"` texts and its rows
/// (`role="row"` less the header row), up to the table's export links.
fn html_grid(grid: &str, id: &str) -> (Vec<String>, usize) {
    let end = grid
        .find(&format!(r#"data-export="{id}""#))
        .expect("the grid's export links after it");
    let grid = &grid[..end];
    let labels = grid
        .match_indices(r#"role="columnheader""#)
        .map(|(at, _)| {
            let open = grid[..at].rfind("<span").expect("a columnheader span");
            text(span_inner(grid, open))
        })
        .collect();
    let rows = grid.matches(r#"role="row""#).count() - grid.matches("grid-row head").count();
    (labels, rows)
}

/// Each `<table … data-table="ID">` of the page: its `<th scope="col">` texts and its body's rows
/// (or the same of an ARIA grid with that `data-table`).
fn html_tables(html: &str, id: &str) -> Vec<(Vec<String>, usize)> {
    let marker = format!(r#"data-table="{id}""#);
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&marker) {
        let tag = &rest[rest[..at].rfind('<').expect("an element")..at];
        if tag.contains(r#"role="table""#) {
            out.push(html_grid(&rest[at..], id));
            rest = &rest[at + marker.len()..];
            continue;
        }
        let table = &rest[at..];
        let end = table.find("</table>").expect("a closed table");
        let table = &table[..end];
        let (head, body) = table.split_once("</thead>").expect("a thead");
        let labels = head
            .split(r#"<th scope="col""#)
            .skip(1)
            .map(|th| {
                let th = &th[th.find('>').expect("th closes") + 1..];
                text(&th[..th.find("</th>").expect("a closed th")])
            })
            .collect();
        let rows = body.matches("<tr").count();
        out.push((labels, rows));
        rest = &rest[at + end..];
    }
    out
}

/// The HTML's rows of table `id` and its header (the same for every instance of the table).
fn html_rows(html: &str, id: &str, expected_header: &[String], url: &str) -> usize {
    let tables = html_tables(html, id);
    for (labels, _) in &tables {
        assert_eq!(
            labels, expected_header,
            "{url}: table {id}'s header is not its export's columns"
        );
    }
    let notes = html.matches(&format!(r#"data-table-row="{id}""#)).count();
    tables.iter().map(|(_, rows)| rows).sum::<usize>() + notes
}

/// A page's URL on the test fleet: path parameters get real values; the shard page's history is
/// over a closed window in the past (`window`), so no sample lands between the page and its export.
fn concrete(pattern: &str, window: &str) -> String {
    let shard = common::fleet().shards[0].id.clone();
    // Org 7: the one `telemetry_pages::fill` gives requests and slow queries.
    let url = pattern.replace("{shard}", &shard).replace("{org}", "7");
    match pattern {
        p if p == routes::SHARD.path => format!("{url}?{window}"),
        // A question, so the preview's candidates table is there.
        p if p == routes::PLACEMENT.path => format!("{url}?region=us-east-1&patients=12000"),
        // The test's own records (other tests write theirs meanwhile).
        p if p == routes::AUDIT.path => format!("{url}?addr={}", audit_addr()),
        _ => url,
    }
}

fn with(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

/// The client address of this run's own audit records.
fn audit_addr() -> &'static str {
    static ADDR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ADDR.get_or_init(|| format!("2001:db8::{:x}", rand_u16()))
}

fn rand_u16() -> u16 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (t.subsec_nanos() ^ std::process::id()) as u16
}

/// More records than one audit page holds (100), from this run's own address.
async fn write_audit(app: &TestApp) {
    for i in 0..130 {
        let event = shardscope::auth::AuditEvent {
            staff: None,
            action: shardscope::auth::AuditAction::SignInFailed,
            target: format!("walk record {i}"),
            client_addr: audit_addr().to_string(),
            detail: Default::default(),
        };
        app.console
            .auth()
            .audit
            .record(&event)
            .await
            .expect("record written");
    }
}

/// `2026-12-07T09:30`: a minute as `from=`/`to=` take it.
fn minute(secs: u32) -> String {
    shardscope::table::cell::iso_utc(i64::from(secs) * 1000)[..16].to_string()
}

/// Samples of the first shard's primary over the past hour, in the test's own ClickHouse database.
async fn write_history(w: &shardscope::clickhouse_db::Client, now: u32) -> String {
    let shard = common::fleet().shards[0].id.clone();
    for i in 0..5u32 {
        w.query(
            "INSERT INTO shard_samples (ts, shard_id, endpoint, role, reachable, failure, \
             conns_total, max_connections) VALUES (toDateTime(?), ?, 'h:1/d', 'primary', 1, '', 7, 100)",
        )
        .bind(now - 3000 + i * 300)
        .bind(shard.as_str())
        .execute()
        .await
        .expect("sample inserted");
    }
    format!("from={}&to={}", minute(now - 3600), minute(now - 600))
}

/// The page's own rows of table `id`, over every page when the page is paged (its `rel="next"`
/// link, as a reader follows it).
async fn page_rows(app: &TestApp, url: &str, cookie: &str, id: &str, header: &[String]) -> usize {
    let mut total = 0;
    let mut here = url.to_string();
    for _ in 1..=200 {
        let page = app.get(&here, Some(cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{here}: {}", page.body);
        total += html_rows(&page.body, id, header, &here);
        let Some(at) = page.body.find(r#"rel="next" href=""#) else {
            return total;
        };
        let href = &page.body[at + r#"rel="next" href=""#.len()..];
        here = href[..href.find('"').expect("a closed href")].replace("&amp;", "&");
    }
    panic!("{url}: more than 200 pages");
}

#[tokio::test]
async fn every_table_exports_what_its_page_shows_to_every_role() {
    // Telemetry of the test's own (pools, requests, slow queries), so those tables have rows.
    let (app, writer, now, _db) = crate::telemetry_pages::app_on_fresh_telemetry("walk").await;
    crate::telemetry_pages::fill(&writer, now).await;
    let window = write_history(&writer, now).await;
    write_audit(&app).await;
    // Opening a tenant records it, and its page shows the newest 20 records of who did: with at
    // least 20 already there, the page and its export show as many.
    let admin = app.session_as(Role::Superadmin).await;
    for _ in 0..shardscope::tenants::detail::ACCESS_SHOWN {
        let r = app.get("/tenants/7", Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let mut checked = 0;
    let mut nonempty = std::collections::BTreeSet::new();
    let mut restricted = std::collections::BTreeSet::new();
    let sessions = [
        (None, "signed out"),
        (Some(app.session_as(Role::Viewer).await), "viewer"),
        (Some(app.session_as(Role::Support).await), "support"),
        (Some(app.session_as(Role::Superadmin).await), "superadmin"),
    ];
    for route in routes::PAGES.iter().filter(|r| !r.tables.is_empty()) {
        let url = concrete(route.path, &window);
        for (cookie, who) in &sessions {
            let page = app.get(&url, cookie.as_deref()).await;
            for table in route.tables {
                let export_url = with(&url, &format!("format=json&table={table}"));
                let json = app.get(&export_url, cookie.as_deref()).await;
                // A table the page shows only to some roles (who opened a tenant: superadmins)
                // is a 403 with the reason for the others, whose page has no such table.
                if json.status == StatusCode::FORBIDDEN
                    && page.status == StatusCode::OK
                    && !page.body.contains(&format!(r#"data-table="{table}""#))
                {
                    assert!(
                        json.body.contains("may not read"),
                        "{who}: {export_url}: {}",
                        json.body
                    );
                    restricted.insert(format!("{} {table} {who}", route.path));
                    checked += 1;
                    continue;
                }
                assert_eq!(
                    json.status, page.status,
                    "{who}: {export_url} answers as its page does: {}",
                    json.body
                );
                let Some(cookie) = cookie else { continue };
                if page.status != StatusCode::OK {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(&json.body)
                    .unwrap_or_else(|e| panic!("{who}: {export_url}: {e}: {}", json.body));
                assert_eq!(v["table"], *table, "{export_url}");
                let grouped: Vec<&str> = v["grouped_by"]
                    .as_array()
                    .expect("grouped_by")
                    .iter()
                    .map(|g| g.as_str().unwrap())
                    .collect();
                let columns = v["columns"].as_array().expect("columns");
                // Less the columns shown as headings or inside another column's cell.
                let header: Vec<String> = columns
                    .iter()
                    .filter(|c| !grouped.contains(&c["key"].as_str().unwrap()))
                    .filter(|c| c.get("shown_in").is_none())
                    .map(|c| c["label"].as_str().unwrap().to_string())
                    .collect();
                let rows = v["rows"].as_array().expect("rows").len();
                let shown = page_rows(&app, &url, cookie, table, &header).await;
                assert_eq!(
                    rows, shown,
                    "{who}: {export_url} has {rows} rows, its page shows {shown}"
                );
                let csv = app
                    .get(
                        &with(&url, &format!("format=csv&table={table}")),
                        Some(cookie),
                    )
                    .await;
                assert_eq!(csv.status, StatusCode::OK, "{who}: {}", csv.body);
                let keys: Vec<&str> = columns.iter().map(|c| c["key"].as_str().unwrap()).collect();
                assert_eq!(
                    csv.body.split("\r\n").next().unwrap(),
                    keys.join(","),
                    "{who}: {url} table {table}: the CSV header is the JSON's keys"
                );
                checked += 1;
                if rows > 0 {
                    nonempty.insert(format!("{} {table}", route.path));
                }
            }
        }
        // An unknown table id is a 400 that names the page's tables.
        let cookie = sessions[3].0.as_deref();
        let bad = app.get(&with(&url, "format=csv&table=nope"), cookie).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{url}: {}", bad.body);
        assert_eq!(
            bad.body,
            format!(
                "unknown table \"nope\": this page's tables are {}",
                route.tables.join(", ")
            ),
            "{url}"
        );
    }
    // Every listed table was compared for each role that may open its page.
    let expected: usize = routes::PAGES
        .iter()
        .map(|r| {
            let roles = Role::ALL
                .iter()
                .filter(|role| role.allows(r.capability))
                .count();
            r.tables.len() * roles
        })
        .sum();
    assert_eq!(checked, expected, "tables × roles compared");
    assert_eq!(
        restricted.into_iter().collect::<Vec<_>>(),
        ["/tenants/{org} access support"],
        "the only table a role may open the page of but not read"
    );
    // The comparison is not empty-equals-empty: the test fleet fills these tables.
    eprintln!("tables with rows: {nonempty:?}");
    for filled in [
        "/pools pools",
        "/pools series",
        "/telemetry groups",
        "/telemetry series",
        "/telemetry/slow-queries queries",
        "/shards/{shard} history",
        "/shards/{shard} senders",
        "/tenants tenants",
        "/shards shards",
        "/ shards",
        "/compliance rls",
        "/placement candidates",
        "/placement noisy",
        "/audit records",
        "/tenants/{org} routes",
        "/tenants/{org} slow_queries",
        "/tenants/{org} access",
    ] {
        assert!(
            nonempty.contains(filled),
            "{filled} had no rows to compare: {nonempty:?}"
        );
    }
}

#[tokio::test]
async fn a_page_without_tables_refuses_an_export_with_what_to_do() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Superadmin).await;
    let r = app.get("/patients?format=csv", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        r.body,
        "Patient lookup has no table to export: leave format out for the page"
    );
    let r = app.get("/pools?format=xml", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains("use format=csv or format=json"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn an_audit_view_larger_than_one_export_is_a_400_that_says_how_to_narrow_it() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Superadmin).await;
    // One more record than an export holds, from an address of this run's own (written as the
    // owner, already shipped, so the ClickHouse export leaves them be).
    let addr = format!("2001:db8:1::{:x}", rand_u16());
    let max = shardscope::auth::audit::table::EXPORT_MAX as i64;
    sqlx::query(
        "INSERT INTO console.audit_events (staff_email, role, action, target, client_addr, reason,
                                           subject, result_count, shards, exported_at)
         SELECT '', '', 'sign_in_failed', 'walk bulk', $1, '', '', NULL, '{}', now()
           FROM generate_series(1, $2)",
    )
    .bind(&addr)
    .bind(max + 1)
    .execute(&common::owner_pool().await)
    .await
    .expect("records inserted as the owner");
    let r = app
        .get(&format!("/audit?addr={addr}&format=csv"), Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        r.body,
        "this view holds more than 10000 audit records, more than one export holds: narrow it \
         (since, until, action, staff) and export each part"
    );
    // The page itself still shows the view, a page at a time.
    let page = app.get(&format!("/audit?addr={addr}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("<tr data-action=").count(), 100);
}

/// The order the overview places its rows in for the URL's `?sort=`: its last nonced stylesheet
/// of `.grid-row[data-shard="ID"]{order:N}` rules (the one the summary sends once every shard has
/// answered), as shard ids in display order.
fn page_order(html: &str) -> Vec<String> {
    const RULE: &str = r#".grid-row[data-shard=""#;
    let sheet = html
        .match_indices("<style")
        .map(|(at, _)| &html[at..at + html[at..].find("</style>").expect("a closed style")])
        .filter(|s| s.contains(RULE))
        .last()
        .expect("the overview places its rows by a stylesheet");
    let mut placed: Vec<(usize, String)> = sheet
        .split(RULE)
        .skip(1)
        .map(|rule| {
            let (id, rest) = rule.split_once(r#""]{order:"#).expect("an order rule");
            let n = rest[..rest.find('}').expect("a closed rule")]
                .parse()
                .expect("a numeric order");
            (n, id.to_string())
        })
        .collect();
    placed.sort();
    placed.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn the_overview_export_lists_shards_in_the_pages_sort_order() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;
    let mut by_id = Vec::new();
    let mut reordered = Vec::new();
    for key in ["shard", "patients", "size", "connections"] {
        // Other tests write to the shards meanwhile, so a size or count may change between the
        // page and its export: a few tries, each pair read back to back; a wrong order is wrong
        // every time.
        let mut last = None;
        for _ in 0..5 {
            let page = app.get(&format!("/?sort={key}"), Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK, "/?sort={key}: {}", page.body);
            let url = format!("/?sort={key}&format=json&table=shards");
            let json = app.get(&url, Some(&cookie)).await;
            assert_eq!(json.status, StatusCode::OK, "{url}: {}", json.body);
            let v: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
            let exported: Vec<String> = v["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| r["shard_id"].as_str().expect("a shard id").to_string())
                .collect();
            let shown = page_order(&page.body);
            if shown == exported {
                last = None;
                if key == "shard" {
                    by_id = shown;
                } else if !by_id.is_empty() && shown != by_id {
                    reordered.push(key);
                }
                break;
            }
            last = Some((shown, exported));
        }
        if let Some((shown, exported)) = last {
            panic!(
                "?sort={key}: the page shows {shown:?}, its export lists {exported:?} (5 tries)"
            );
        }
    }
    let mut sorted = by_id.clone();
    sorted.sort();
    assert_eq!(by_id, sorted, "?sort=shard is by shard id");
    assert!(
        by_id.len() >= 2,
        "the test fleet has shards to order: {by_id:?}"
    );
    // The comparison is not id-order-equals-id-order: some key orders the fleet otherwise.
    assert!(
        !reordered.is_empty(),
        "every sort key ordered the test fleet by shard id: {by_id:?}"
    );
}
