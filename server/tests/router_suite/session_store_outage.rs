//! Redis (the session store) stopped and restarted under a running console: a real redis-server
//! started by this test on a free loopback port, stopped and started again by its PID.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestApp;
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::secret::Secret;

struct Redis {
    port: u16,
    child: Option<Child>,
    dir: std::path::PathBuf,
}

impl Redis {
    /// Start redis-server on `port`; Err if it exits (the port was taken meanwhile) or does not
    /// listen within 10 s.
    fn start(port: u16, dir: &std::path::Path) -> Result<Child, String> {
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (installed by scripts/install)");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // Ours only while our child runs: a listener on a port it failed to bind is not it.
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("redis-server on {port} exited: {status}"));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(child);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("redis-server did not listen on {port} within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("shardscope-redis-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // redis-server cannot choose its own port: a free one is picked below the kernel's
        // ephemeral range (so no client connection is ever given it, and the restart below gets
        // it back), and if another process holds it, another is tried.
        let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|r| r.split_whitespace().next().and_then(|p| p.parse().ok()))
            .unwrap_or(32768);
        let mut tried = Vec::new();
        for i in 0..5u32 {
            let spread = (std::process::id().wrapping_mul(7919).wrapping_add(i * 131)) % 2000;
            let port = low.saturating_sub(2100) + spread as u16;
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                tried.push(format!("{port} is taken"));
                continue;
            }
            match Self::start(port, &dir) {
                Ok(child) => {
                    return Self {
                        port,
                        child: Some(child),
                        dir,
                    };
                }
                Err(e) => tried.push(e),
            }
        }
        panic!("no redis-server could be started: {tried:?}");
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn restart(&mut self) {
        self.stop();
        // Its port is outside the ephemeral range, so only a listener could hold it: tried for
        // 10 s, saying why it last failed.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match Self::start(self.port, &self.dir) {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                Err(e) if Instant::now() < deadline => {
                    eprintln!("redis restart on {}: {e}; trying again", self.port);
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!(
                    "redis did not restart on its port {} within 10 s: {e}",
                    self.port
                ),
            }
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn redis_down_means_a_clear_503_and_recovery_needs_no_restart() {
    let mut redis = Redis::new();
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = TestApp::with(move |c| c.redis_url = Some(Secret::new(url)));
    let cookie = app.session_as(Role::Viewer).await;
    assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK);

    redis.stop();
    let page = app.get("/", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.body
            .contains("<title>Sign-in unavailable · shardscope</title>")
            && page
                .body
                .contains("The session store (Redis) is not answering"),
        "{}",
        page.body
    );
    assert!(page.headers.contains_key("retry-after"));
    let sign_in = app
        .sign_in(
            "viewer@shardscope.test",
            &shardscope::demo::seed::demo_password(),
        )
        .await;
    assert_eq!(sign_in.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        sign_in
            .body
            .contains("session store (Redis) is not answering"),
        "{}",
        sign_in.body
    );
    assert!(sign_in.cookie().is_none());
    let api = app.post("/api/overview", Some(&cookie), "").await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.body);
    // The form itself still renders for someone without a session.
    assert_eq!(app.get("/login", None).await.status, StatusCode::OK);

    redis.restart();
    // This Redis keeps nothing on disk, so the old session is gone: signing in works again by
    // itself once the connection is re-established.
    let deadline = Instant::now() + Duration::from_secs(10);
    let fresh = loop {
        let r = app
            .sign_in(
                "viewer@shardscope.test",
                &shardscope::demo::seed::demo_password(),
            )
            .await;
        if r.status == StatusCode::SEE_OTHER {
            break r.cookie().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no recovery after Redis came back: {}",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(app.get("/", Some(&fresh)).await.status, StatusCode::OK);
}
