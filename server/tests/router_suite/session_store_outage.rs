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
        // redis-server cannot choose its own port: a free one is picked, and if another process
        // takes it before redis binds it, another is tried.
        let mut tried = Vec::new();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
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
        self.child = Some(Self::start(self.port, &self.dir).expect("redis restarts on its port"));
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
