//! `shardscope-server user ...` as an operator runs it, against the real routing DB.

use std::process::Command;

fn owner_url() -> String {
    let path = std::env::var("SHARDSCOPE_FLEET_FILE").expect("SHARDSCOPE_FLEET_FILE");
    let fleet = shardscope::demo::fleet::Fleet::load(path.as_ref()).unwrap();
    fleet.admin_url(fleet.routing_port, &fleet.routing_database)
}

fn user(args: &[&str], password: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shardscope-server"));
    cmd.arg("user")
        .args(args)
        .env("SHARDSCOPE_MIGRATE_URL", owner_url());
    match password {
        Some(p) => cmd.env("SHARDSCOPE_NEW_PASSWORD", p),
        None => cmd.env_remove("SHARDSCOPE_NEW_PASSWORD"),
    };
    let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn add_role_disable_enable_and_list_are_audited() {
    let email = format!("cli-{}@tests.shardscope.test", std::process::id());
    let (ok, out) = user(
        &["add", "--email", &email, "--role", "support"],
        Some("cli-password-123"),
    );
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("account_added {email} (support, active)")),
        "{out}"
    );
    let (ok, out) = user(&["role", "--email", &email, "--role", "viewer"], None);
    assert!(ok && out.contains("role_changed"), "{out}");
    let (ok, out) = user(&["disable", "--email", &email], None);
    assert!(ok && out.contains("(viewer, disabled)"), "{out}");
    let (ok, out) = user(&["list"], None);
    assert!(
        ok && out
            .lines()
            .any(|l| l.contains(&email) && l.contains("disabled")),
        "{out}"
    );
    let (ok, out) = user(&["enable", "--email", &email], None);
    assert!(ok && out.contains("(viewer, active)"), "{out}");
    // `add` on an existing account resets it: a password reset, audited as one.
    let (ok, out) = user(
        &["add", "--email", &email, "--role", "support"],
        Some("cli-password-456"),
    );
    assert!(ok && out.contains("password_reset"), "{out}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let actions: Vec<String> = rt.block_on(async {
        let pool = shardscope::migrate::connect(&owner_url()).await.unwrap();
        sqlx::query_scalar(
            "SELECT action FROM console.audit_events WHERE client_addr = 'cli' AND target LIKE $1 ORDER BY id",
        )
        .bind(format!("%{email}%"))
        .fetch_all(&pool)
        .await
        .unwrap()
    });
    assert_eq!(
        actions,
        [
            "account_added",
            "role_changed",
            "account_disabled",
            "account_enabled",
            "password_reset"
        ]
    );
}

#[test]
fn mistakes_are_explained() {
    let (ok, out) = user(
        &[
            "add",
            "--email",
            "x@tests.shardscope.test",
            "--role",
            "admin",
        ],
        Some("long-enough-pw"),
    );
    assert!(
        !ok && out.contains("use superadmin, support or viewer"),
        "{out}"
    );
    let (ok, out) = user(
        &[
            "add",
            "--email",
            "x@tests.shardscope.test",
            "--role",
            "viewer",
        ],
        None,
    );
    assert!(!ok && out.contains("SHARDSCOPE_NEW_PASSWORD"), "{out}");
    let (ok, out) = user(&["frobnicate"], None);
    assert!(
        !ok && out.contains("unrecognized subcommand 'frobnicate'")
            && out.contains("Usage: shardscope-server user <COMMAND>"),
        "{out}"
    );
}

/// The binary's own command line (clap): help lists every subcommand; a bad value is refused with
/// what is allowed and exit code 2, before anything is touched.
#[test]
fn the_command_line_explains_itself() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_shardscope-server"))
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, out) = run(&["--help"]);
    assert_eq!(code, Some(0), "{out}");
    for sub in [
        "serve",
        "seed",
        "seed-drifts",
        "revert-drifts",
        "simulate",
        "migrate",
        "user",
        "clickhouse-statements",
        "bench-fanout",
        "bench-telemetry",
        "bench-tenants",
        "bench-patients",
        "patient-examples",
    ] {
        assert!(
            out.contains(&format!("  {sub} ")),
            "--help lists {sub}: {out}"
        );
    }
    let (code, out) = run(&["migrate", "everything"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("invalid value 'everything'")
            && out.contains("routing, shard, clickhouse, audit-subjects"),
        "{out}"
    );
    let (code, out) = run(&["bench-tenants", "--orgs", "3"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("3 is not in 10.."), "{out}");
}

/// `user add` with the password on standard input (one line), as an operator types it.
fn add_with_stdin(email: &str, role: &str, stdin: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_shardscope-server"))
        .args(["user", "add", "--email", email, "--role", role])
        .env("SHARDSCOPE_MIGRATE_URL", owner_url())
        .env_remove("SHARDSCOPE_NEW_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn add_reads_one_line_of_standard_input_and_re_enables_a_disabled_account() {
    let email = format!("cli-stdin-{}@tests.shardscope.test", std::process::id());
    // Only the first line is the password; what follows is not read into it.
    let (ok, out) = add_with_stdin(&email, "viewer", "stdin-password-1\nnot-the-password\n");
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("account_added {email} (viewer, active)")),
        "{out}"
    );
    assert!(
        !out.contains("stdin-password-1"),
        "the password is not echoed: {out}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let verify = |password: &'static str| {
        let email = email.clone();
        rt.block_on(async move {
            let pool = shardscope::migrate::connect(&owner_url()).await.unwrap();
            let hash: String =
                sqlx::query_scalar("SELECT password_hash FROM console.staff WHERE email = $1")
                    .bind(&email)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            shardscope::auth::password::verify(password, &hash)
        })
    };
    assert!(verify("stdin-password-1"), "the first line is the password");
    assert!(!verify("not-the-password"));

    let (ok, out) = user(&["disable", "--email", &email], None);
    assert!(ok && out.contains("(viewer, disabled)"), "{out}");
    // `add` on the disabled account: reset, and active again.
    let (ok, out) = add_with_stdin(&email, "support", "stdin-password-2\n");
    assert!(ok, "{out}");
    assert!(
        out.contains("password_reset") && out.contains(&format!("{email} (support, active)")),
        "{out}"
    );
    assert!(verify("stdin-password-2"));
}

/// `serve` as an operator starts it (the fleet's env), with `env` on top: its exit status and
/// output. Every case here must be refused before the console binds (so it ends by itself).
fn serve_with(env: &[(&str, &str)], remove: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shardscope-server"));
    cmd.arg("serve").stdin(std::process::Stdio::null());
    for k in remove {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("serve with {env:?} did not refuse within 30 s (it started?)");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn serve_refuses_to_start_exposed_without_a_public_origin_or_without_its_hash_file() {
    let (code, out) = serve_with(
        &[("LEPTOS_SITE_ADDR", "0.0.0.0:0")],
        &["SHARDSCOPE_PUBLIC_ORIGIN", "SHARDSCOPE_TRUST_FORWARDED_FOR"],
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains(
            "SHARDSCOPE_PUBLIC_ORIGIN is unset but it listens on 0.0.0.0:0, beyond this machine"
        ),
        "{out}"
    );
    let (code, out) = serve_with(
        &[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
            ("SHARDSCOPE_TRUST_FORWARDED_FOR", "1"),
        ],
        &["SHARDSCOPE_PUBLIC_ORIGIN"],
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("SHARDSCOPE_TRUST_FORWARDED_FOR says a proxy serves it"),
        "{out}"
    );
    let missing = std::env::temp_dir().join(format!("no-hash-{}.txt", std::process::id()));
    let (code, out) = serve_with(
        &[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
            ("LEPTOS_HASH_FILES", "true"),
            ("LEPTOS_HASH_FILE_NAME", missing.to_str().unwrap()),
        ],
        &["SHARDSCOPE_TRUST_FORWARDED_FOR"],
    );
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("LEPTOS_HASH_FILES is true but the build's hash file")
            && out.contains("cannot be read"),
        "{out}"
    );
}
