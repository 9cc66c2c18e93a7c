//! Subcommands of the server binary.
//!
//!   shardscope-server [serve]            serve the console (config from SHARDSCOPE_* env)
//!   shardscope-server seed --fleet F     migrate + seed the local demo fleet described by F
//!   shardscope-server seed-drifts --fleet F   one of each routing/RLS finding (the demo's)
//!   shardscope-server revert-drifts --fleet F undo them
//!   shardscope-server simulate --fleet F run the demo fleet's telemetry/write-load simulator
//!   shardscope-server migrate routing|shard   migrate the database in SHARDSCOPE_MIGRATE_URL
//!   shardscope-server migrate clickhouse      ClickHouse at SHARDSCOPE_CLICKHOUSE_URL
//!   shardscope-server migrate audit-subjects  plain-hash audit subjects -> keyed HMACs
//!   shardscope-server user add|disable|enable|role|list   staff accounts (see users.rs)
//!   shardscope-server bench-telemetry [--rows N]   the P4 benchmark (see bench_telemetry.rs)
//!   shardscope-server bench-tenants [--orgs N]     tenant search on N orgs (see bench_tenants.rs)
//!   shardscope-server bench-patients [--rows N]    patient lookup on N registry rows (bench_patients.rs)
//!   shardscope-server patient-examples --fleet F   what to type into /patients in the demo
//!   shardscope-server clickhouse-statements   every ClickHouse statement, as JSON (for the
//!                                             cross-version check)

use std::path::PathBuf;

use leptos::prelude::*;
use shardscope::demo::fleet::Fleet;

use crate::startup::build_router;
use crate::state::AppState;

pub type CliResult = Result<(), Box<dyn std::error::Error>>;

const USAGE: &str = "usage: shardscope-server [serve | seed --fleet FILE | seed-drifts --fleet FILE | revert-drifts --fleet FILE | simulate --fleet FILE | migrate routing|shard|clickhouse|audit-subjects | bench-fanout [--iterations N] | bench-telemetry [--rows N] | bench-tenants [--orgs N] | bench-patients [--rows N] [--lookups K] | patient-examples --fleet FILE | clickhouse-statements | user ...]";

pub async fn run(args: Vec<String>) -> CliResult {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => serve().await,
        ["seed", "--fleet", path] => {
            let fleet = Fleet::load(&PathBuf::from(path))?;
            shardscope::demo::seed::seed_fleet(&fleet).await?;
            Ok(())
        }
        ["seed-drifts", "--fleet", path] | ["revert-drifts", "--fleet", path] => {
            let fleet = Fleet::load(&PathBuf::from(path))?;
            let prefix = std::env::var("SHARDSCOPE_ROUTING_CACHE_PREFIX")
                .unwrap_or_else(|_| "shard:".into());
            if args[0] == "seed-drifts" {
                shardscope::demo::seed::drifts::apply(&fleet, &prefix).await?;
            } else {
                shardscope::demo::seed::drifts::revert(&fleet, &prefix).await?;
            }
            Ok(())
        }
        ["simulate", "--fleet", path] => {
            let fleet = Fleet::load(&PathBuf::from(path))?;
            tracing::info!("simulator running; Ctrl-C stops it");
            shardscope::demo::simulate::run(&fleet, shutdown_signal()).await?;
            Ok(())
        }
        ["migrate", target] => migrate(target).await,
        ["user", rest @ ..] => crate::users::run(rest).await,
        ["clickhouse-statements"] => {
            let now = (shardscope::federation::fanout::now_ms() / 1000) as u32;
            let entries = shardscope::telemetry::catalog::entries(now);
            println!("{}", serde_json::to_string_pretty(&entries)?);
            Ok(())
        }
        ["bench-fanout"] => crate::bench::fanout(20).await,
        ["bench-fanout", "--iterations", n] => {
            let n: usize = n
                .parse()
                .map_err(|_| "--iterations takes a positive number")?;
            crate::bench::fanout(n.max(1)).await
        }
        ["bench-telemetry", rest @ ..] => crate::bench_telemetry::run(rest).await,
        ["bench-tenants", rest @ ..] => crate::bench_tenants::run(rest).await,
        ["bench-patients", rest @ ..] => crate::bench_patients::run(rest).await,
        ["patient-examples", "--fleet", path, rest @ ..] => {
            let fleet = shardscope::demo::fleet::Fleet::load(path.as_ref())?;
            let plan = shardscope::demo::seed::plan(&fleet.shards, shardscope::demo::seed::SEED);
            let examples = shardscope::demo::seed::patient_examples(&plan);
            if rest == ["--json"] {
                println!("{}", serde_json::to_string_pretty(&examples)?);
            } else {
                for e in examples {
                    let how = if e.kind == "user" {
                        "as a platform user id".to_string()
                    } else {
                        format!("region {}", e.region)
                    };
                    println!("  {:<30} ({how})  {}", e.typed, e.what);
                }
            }
            Ok(())
        }
        ["--help"] | ["-h"] | ["help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

async fn migrate(target: &str) -> CliResult {
    match target {
        "routing" | "shard" => {
            let url = std::env::var("SHARDSCOPE_MIGRATE_URL").map_err(
                |_| "SHARDSCOPE_MIGRATE_URL is not set (the database to migrate, as its owner)",
            )?;
            let pool = sqlx_pool(&url).await?;
            if target == "routing" {
                shardscope::migrate::routing(&pool).await?;
            } else {
                shardscope::migrate::shard(&pool).await?;
            }
        }
        "clickhouse" => {
            let config = shardscope::Config::from_env()?;
            let url = config
                .clickhouse_url
                .ok_or("SHARDSCOPE_CLICKHOUSE_URL is not set")?;
            let client = shardscope::clickhouse_db::client(
                &url,
                &config.clickhouse_user,
                config.clickhouse_password.expose(),
            );
            shardscope::migrate::clickhouse(&client, &config.clickhouse_database).await?;
        }
        "audit-subjects" => {
            // Plain-hash subjects become keyed HMACs: in the routing DB (as its owner), and
            // ClickHouse's copies are deleted so the rewritten records are shipped again.
            let config = shardscope::Config::from_env()?;
            let url = std::env::var("SHARDSCOPE_MIGRATE_URL")
                .map_err(|_| "SHARDSCOPE_MIGRATE_URL is not set (the routing DB, as its owner)")?;
            let pool = sqlx_pool(&url).await?;
            let n = shardscope::auth::audit_rekey::rekey_routing(&pool, &config.keys).await?;
            println!("audit records rewritten with keyed subjects: {n}");
            if let Some(url) = &config.clickhouse_url {
                let client = shardscope::clickhouse_db::connect(
                    url,
                    &config.clickhouse_user,
                    config.clickhouse_password.expose(),
                    &config.clickhouse_database,
                )
                .await?;
                shardscope::auth::audit_rekey::purge_clickhouse(&client).await?;
                println!(
                    "ClickHouse copies with plain-hash subjects deleted (re-shipped by the console)"
                );
            }
        }
        other => return Err(format!("unknown migration target {other:?}; {USAGE}").into()),
    }
    println!("migrated {target}");
    Ok(())
}

async fn sqlx_pool(url: &str) -> Result<shardscope::migrate::Pool, Box<dyn std::error::Error>> {
    Ok(shardscope::migrate::connect(url).await?)
}

async fn serve() -> CliResult {
    let config = shardscope::Config::from_env()?;
    let limits = crate::serve::Limits {
        header_read_timeout: config.http.header_read_timeout,
        max_connections: config.http.max_connections,
    };
    let console = shardscope::Console::new(config)?;
    start_audit_export(&console);
    let conf = get_configuration(None)?;
    let leptos_options = conf.leptos_options;
    // Pages name the build's (hashed) asset files; refuse to start rather than serve pages whose
    // stylesheet and scripts do not exist.
    shardscope_app::pages::plain::set_stylesheet_href(crate::static_files::stylesheet_href(
        &leptos_options,
    )?);
    let addr = leptos_options.site_addr;
    let app = build_router(AppState {
        leptos_options,
        console,
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // The bound address (port 0 in the site address: the kernel chose it; tests read this line).
    let bound = listener.local_addr()?;
    tracing::info!("shardscope listening on http://{bound}");
    crate::serve::serve(listener, app, limits, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Ship the access audit to ClickHouse in the background (when ClickHouse is configured).
pub fn start_audit_export(console: &shardscope::Console) {
    let config = console.config().clone();
    let Some(url) = config.clickhouse_url.clone() else {
        tracing::warn!("SHARDSCOPE_CLICKHOUSE_URL not set: the audit stays in the routing DB only");
        return;
    };
    let log = console.auth().audit.clone();
    tokio::spawn(async move {
        // ClickHouse may be down at start-up: keep trying to learn its version.
        let client = loop {
            match shardscope::clickhouse_db::connect(
                &url,
                &config.clickhouse_user,
                config.clickhouse_password.expose(),
                &config.clickhouse_database,
            )
            .await
            {
                Ok(c) => break c,
                Err(e) => {
                    tracing::warn!(error = %e, "ClickHouse unavailable; audit export waits");
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
            }
        };
        shardscope::auth::audit_export::run(log, client, std::future::pending()).await;
    });
}
