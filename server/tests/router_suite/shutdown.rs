//! The real `shardscope-server serve` stopped by SIGTERM: it stops serving, its background tasks
//! finish their batch (the shard-history writer inserts what it queued, not only what it had
//! flushed), and the process exits cleanly within 10 s. The console writes to a ClickHouse
//! database of this test's own, so every row there came from it.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;

/// One HTTP/1.1 exchange over a fresh connection: (status, headers, body).
async fn exchange(addr: &str, request: String) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut raw))
        .await
        .expect("an answer within 30 s")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head}"));
    (status, head.to_string(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_serving_and_the_last_history_batch_reaches_clickhouse_within_ten_seconds() {
    let fleet = common::fleet();
    let server = shardscope::clickhouse_db::client(&fleet.clickhouse_url, "default", "");
    let db = format!("test_sigterm_{}", std::process::id());
    let drop_db = || {
        let server = server.clone();
        let db = db.clone();
        async move {
            server
                .query(&format!("DROP DATABASE IF EXISTS {db}"))
                .execute()
                .await
                .unwrap();
        }
    };
    drop_db().await;
    shardscope::migrate::clickhouse(&server, &db).await.unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_shardscope-server"))
        .arg("serve")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("SHARDSCOPE_CLICKHOUSE_DATABASE", &db)
        .env("SHARDSCOPE_CACHE_TTL_MS", "0")
        .env("SHARDSCOPE_SHARD_DEADLINE_MS", "8000")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(u32);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-KILL", &self.0.to_string()])
                .status();
        }
    }
    let _kill = Kill(child.id());
    // Its log, line by line, on a thread (the listening line names the port the kernel chose).
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no 'listening on' line within 30 s: {log:#?}"));
        if let Some(at) = line.find("listening on http://") {
            break line[at + "listening on http://".len()..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_string();
        }
        log.push(line);
    };

    // Sign in as a viewer and open the overview: every endpoint is probed, one sample each.
    let form = common::demo_sign_in_form(shardscope::auth::Role::Viewer);
    let (status, head, body) = exchange(
        &addr,
        format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{form}",
            form.len()
        ),
    )
    .await;
    assert_eq!(status, 303, "sign-in: {head}\n{body}");
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or(l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let (status, _, body) = exchange(
        &addr,
        format!("GET / HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let shards = fleet.shards.len();
    assert!(
        body.contains(&format!("data-answered=\"{shards}\"")),
        "every shard answered: {body}"
    );

    // At once (the writer flushes every 2 s: these samples are most likely still queued).
    let asked = Instant::now();
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM; its log: {:#?}",
            lines.try_iter().collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = asked.elapsed();
    let tail: Vec<String> = lines.try_iter().collect();
    assert!(status.success(), "exit status {status:?}; log: {tail:#?}");
    assert!(
        tail.iter().any(|l| l.contains("stopped")),
        "it says it stopped: {tail:#?}"
    );
    assert!(
        exchange_refused(&addr).await,
        "nothing listens on {addr} any more"
    );

    let endpoints = fleet
        .shards
        .iter()
        .map(|s| 1 + s.replica_ports.len())
        .sum::<usize>() as u64;
    let client = server.clone().with_database(&db).with_validation(false);
    let seen: u64 = client
        .query("SELECT count(DISTINCT endpoint) FROM shard_samples")
        .fetch_one()
        .await
        .unwrap();
    drop_db().await;
    assert_eq!(
        seen, endpoints,
        "every endpoint's sample of the last probe is in ClickHouse after the exit ({took:?} after \
         SIGTERM)"
    );
}

async fn exchange_refused(addr: &str) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}
