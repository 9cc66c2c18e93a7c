//! The router in-process (`build_router` + `oneshot`) against the real fleet from scripts/test:
//! real routing DB, real Redis, real shards. Each `TestApp` has its own Redis namespace and its
//! own client address, so tests running in parallel never share sessions or rate limits.
#![allow(dead_code)]

#[path = "../../../tests/common/proxy.rs"]
pub mod proxy;

#[path = "../../../tests/common/fleet.rs"]
mod fleet;
#[path = "../../../tests/common/signal.rs"]
mod signal;
#[allow(unused_imports)]
pub use fleet::{admin_pool, fleet, fleet_cmd};
#[allow(unused_imports)]
pub use signal::{Resume, clickhouse_pid_file, postgres_pid_file, sigstop};

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use shardscope::auth::Role;
use shardscope::{Config, Console};
use shardscope_server::startup::build_router;
use shardscope_server::state::AppState;
use tower::ServiceExt;

pub const HOST: &str = "console.test";
pub const ORIGIN: &str = "http://console.test";
/// No single request in a test may take longer (the console's own deadline is shorter).
pub const REQUEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

static N: AtomicU32 = AtomicU32::new(0);

fn next() -> u32 {
    N.fetch_add(1, Ordering::SeqCst)
}

pub fn config() -> Config {
    Config::from_env().expect("SHARDSCOPE_* env: run via scripts/test (or source .fleet/env)")
}

pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("shardscope")
        .site_root(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"))
        .build()
}

pub struct TestApp {
    pub router: axum::Router,
    pub console: Console,
    /// This app's client address (sent as X-Forwarded-For, which its config trusts).
    pub addr: String,
    /// Its shard-history writer (the audit export is started by the tests that watch it).
    pub tasks: shardscope::tasks::Tasks,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    /// `name=value` of the session cookie this response sets, if any.
    pub fn cookie(&self) -> Option<String> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.contains("shardscope"))
            .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::with_site(leptos_options(), adjust)
    }

    /// A console serving the given site (asset directory, hashed names or not).
    pub fn with_site(site: LeptosOptions, adjust: impl FnOnce(&mut Config)) -> Self {
        let n = next();
        let mut config = config();
        config.engine.cache_namespace = format!("test-auth-{}-{n}", std::process::id());
        config.auth.trust_forwarded_for = true;
        // Pages that assert "N of N answered" must not depend on how busy the machine is: a
        // generous deadline (tests about deadlines set their own in `adjust`).
        config.engine.shard_deadline = std::time::Duration::from_secs(8);
        adjust(&mut config);
        let console = Console::new(config).expect("console");
        let tasks = shardscope::tasks::start_history(&console);
        let router = build_router(AppState {
            leptos_options: site,
            console: console.clone(),
        });
        let pid = std::process::id();
        Self {
            router,
            console,
            addr: format!("10.{}.{}.{}", pid % 250, (pid / 250) % 250, n % 250 + 1),
            tasks,
        }
    }

    /// Send one request through the router and read the whole response. A request that takes
    /// longer than [`REQUEST_LIMIT`] fails the test naming it (never a silent hang).
    pub async fn send(&self, mut req: Request<Body>) -> Resp {
        let h = req.headers_mut();
        h.entry("host").or_insert(HOST.parse().unwrap());
        h.entry("x-forwarded-for")
            .or_insert(self.addr.parse().unwrap());
        let what = format!("{} {}", req.method(), req.uri());
        let exchange = async {
            let resp = self.router.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = match resp.into_body().collect().await {
                Ok(bytes) => String::from_utf8_lossy(&bytes.to_bytes()).into_owned(),
                Err(e) => format!("<body cut off: {e}>"),
            };
            Resp {
                status,
                headers,
                body,
            }
        };
        match tokio::time::timeout(REQUEST_LIMIT, exchange).await {
            Ok(r) => r,
            Err(_) => panic!("{what} did not complete within {REQUEST_LIMIT:?}"),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut b = Request::get(path);
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// A same-site form POST (what a browser sends), optionally with a session cookie.
    pub async fn post(&self, path: &str, cookie: Option<&str>, form: &str) -> Resp {
        let mut b = Request::post(path)
            .header("origin", ORIGIN)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        self.send(b.body(Body::from(form.to_string())).unwrap())
            .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Resp {
        let form = format!("email={}&password={}&next=%2F", enc(email), enc(password));
        self.post("/login", None, &form).await
    }

    /// Sign in and return the session cookie (`name=value`).
    pub async fn session(&self, email: &str, password: &str) -> String {
        let r = self.sign_in(email, password).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in of {email}: {}",
            r.body
        );
        r.cookie().expect("a session cookie")
    }

    /// A session for one of the demo accounts (seeded into every fleet).
    pub async fn session_as(&self, role: Role) -> String {
        let (email, _) = shardscope::demo::seed::DEMO_ACCOUNTS
            .iter()
            .find(|(_, r)| *r == role)
            .unwrap();
        self.session(email, &shardscope::demo::seed::demo_password())
            .await
    }
}

pub fn enc(s: &str) -> String {
    shardscope_app::format::query_value(s)
}

/// The routing DB as its owner (accounts are created by the CLI's code path, as in production).
pub async fn owner_pool() -> sqlx::PgPool {
    let path = std::env::var("SHARDSCOPE_FLEET_FILE").expect("SHARDSCOPE_FLEET_FILE");
    let fleet = shardscope::demo::fleet::Fleet::load(path.as_ref()).unwrap();
    shardscope::migrate::connect(&fleet.admin_url(fleet.routing_port, &fleet.routing_database))
        .await
        .expect("routing DB as owner")
}

/// A fresh account of this role, for tests that lock, disable or expire it.
pub async fn new_account(role: Role) -> (String, String) {
    let email = format!("t{}-{}@tests.shardscope.test", std::process::id(), next());
    let password = format!("pw-{}-correct-horse", next());
    shardscope::auth::accounts::admin::upsert(&owner_pool().await, &email, role, &password)
        .await
        .expect("account created");
    (email, password)
}

/// Audit records (action, target, client address) of one account or one address, oldest first.
pub async fn audit_of(email: &str, addr: &str) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT action, target, client_addr FROM console.audit_events
          WHERE staff_email = $1 OR client_addr = $2 ORDER BY id",
    )
    .bind(email)
    .bind(addr)
    .fetch_all(&owner_pool().await)
    .await
    .unwrap()
}

/// Run async clean-up from a `Drop` (which cannot await): on its own thread and runtime, so it
/// works whatever state the test's runtime is in.
pub fn block_on_own_runtime(work: impl std::future::Future<Output = ()> + Send + 'static) {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(work)
    })
    .join()
    .expect("clean-up ran");
}

/// The fleet's ClickHouse, as the console's configuration names it.
pub async fn clickhouse() -> Result<shardscope::clickhouse_db::Client, String> {
    let config = config();
    shardscope::clickhouse_db::connect(
        config.clickhouse_url.as_deref().unwrap(),
        &config.clickhouse_user,
        config.clickhouse_password.expose(),
        &config.clickhouse_database,
    )
    .await
    .map_err(|e| e.to_string())
}

/// How many ClickHouse `audit_events` rows carry this client address.
pub async fn clickhouse_audit_rows(addr: &str) -> Result<u64, String> {
    clickhouse()
        .await?
        .query("SELECT count() FROM audit_events WHERE client_addr = ?")
        .bind(addr)
        .fetch_one()
        .await
        .map_err(|e| e.to_string())
}

/// A log sink for a test's global TRACE subscriber: every thread writes into the same buffer.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Starts the named fleet nodes again when dropped (a fault test's stopped nodes, however it ends).
pub struct Restart(pub Vec<String>);

impl Drop for Restart {
    fn drop(&mut self) {
        for node in &self.0 {
            fleet_cmd(&["start-node", node]);
        }
    }
}

/// The lookup form's region for a demo person homed in `home_region` ("GB" for an EU shard's
/// numbers, "US" otherwise).
pub fn phone_region(home_region: &str) -> &'static str {
    if home_region.starts_with("eu") {
        "GB"
    } else {
        "US"
    }
}

/// The `/patients` form that looks up a demo person by their phone, as the seed wrote it.
pub fn phone_lookup_form(person: i64, home_region: &str) -> String {
    format!(
        "op=lookup&kind=auto&region={}&q={}",
        phone_region(home_region),
        enc(&shardscope::demo::seed::phone_for(person, home_region))
    )
}

/// The shard page's primary section: from its `data-node="primary"` to the section's end.
pub fn primary_section(html: &str) -> &str {
    let start = html
        .find("data-node=\"primary\"")
        .unwrap_or_else(|| panic!("no primary section in {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// The sign-in form of the demo account with this role (for tests that speak raw HTTP).
pub fn demo_sign_in_form(role: Role) -> String {
    let (email, _) = shardscope::demo::seed::DEMO_ACCOUNTS
        .iter()
        .find(|(_, r)| *r == role)
        .expect("a demo account per role");
    format!(
        "email={}&password={}&next=%2F",
        enc(email),
        enc(&shardscope::demo::seed::demo_password())
    )
}
