//! The server binary's command line (clap): `shardscope-server --help` lists every subcommand,
//! `shardscope-server <command> --help` its flags. Without a command it serves the console.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use leptos::prelude::*;
use shardscope::demo::fleet::Fleet;

use crate::command_result::CliResult;
use crate::startup::build_router;
use crate::state::AppState;
use crate::users::UserCommand;

/// shardscope's console server and its operator commands. Configuration comes from SHARDSCOPE_*
/// environment variables (docs/configuration.md).
#[derive(Parser, Debug)]
#[command(name = "shardscope-server", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the console (the default).
    Serve,
    /// Migrate and seed the local demo fleet described by a fleet file.
    Seed {
        #[arg(long, value_name = "FILE")]
        fleet: PathBuf,
    },
    /// Plant one of each routing and RLS finding in the demo fleet (what the demo shows).
    SeedDrifts {
        #[arg(long, value_name = "FILE")]
        fleet: PathBuf,
    },
    /// Undo `seed-drifts`.
    RevertDrifts {
        #[arg(long, value_name = "FILE")]
        fleet: PathBuf,
    },
    /// Run the demo fleet's telemetry and write-load simulator until Ctrl-C.
    Simulate {
        #[arg(long, value_name = "FILE")]
        fleet: PathBuf,
    },
    /// Migrate a database: routing or shard (SHARDSCOPE_MIGRATE_URL, as its owner), ClickHouse
    /// (SHARDSCOPE_CLICKHOUSE_URL), or rewrite plain-hash audit subjects as keyed HMACs.
    Migrate {
        #[arg(value_enum)]
        target: MigrateTarget,
    },
    /// Staff accounts, as the routing database's owner (SHARDSCOPE_MIGRATE_URL); audited.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Every ClickHouse statement the console runs, as JSON (for the cross-version check).
    ClickhouseStatements,
    /// Benchmark: the federation engine's fan-out (P1).
    BenchFanout {
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
        iterations: u64,
    },
    /// Benchmark: the telemetry pages on N rows of ClickHouse telemetry (P4).
    BenchTelemetry {
        #[arg(long, default_value_t = crate::bench::telemetry::DEFAULT_ROWS,
              value_parser = clap::value_parser!(u64).range(10_000..))]
        rows: u64,
    },
    /// Benchmark: the tenant search on N organizations.
    BenchTenants {
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(10..))]
        orgs: i64,
    },
    /// Benchmark: the patient lookup on N registry rows, K lookups.
    BenchPatients {
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(i64).range(1..))]
        rows: i64,
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(2..))]
        lookups: u64,
    },
    /// What to type into /patients in the demo fleet described by a fleet file.
    PatientExamples {
        #[arg(long, value_name = "FILE")]
        fleet: PathBuf,
        /// As JSON (for the browser tests).
        #[arg(long)]
        json: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum MigrateTarget {
    Routing,
    Shard,
    Clickhouse,
    AuditSubjects,
}

pub async fn run(cli: Cli) -> CliResult {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Seed { fleet } => {
            let fleet = Fleet::load(&fleet)?;
            shardscope::demo::seed::seed_fleet(&fleet).await?;
            Ok(())
        }
        Command::SeedDrifts { fleet } => drifts(&fleet, true).await,
        Command::RevertDrifts { fleet } => drifts(&fleet, false).await,
        Command::Simulate { fleet } => {
            let fleet = Fleet::load(&fleet)?;
            tracing::info!("simulator running; Ctrl-C stops it");
            shardscope::demo::simulate::run(&fleet, shutdown_signal()).await?;
            Ok(())
        }
        Command::Migrate { target } => migrate(target).await,
        Command::User { command } => crate::users::run(command).await,
        Command::ClickhouseStatements => {
            let now = (shardscope::clock::now_ms() / 1000) as u32;
            let entries = shardscope::clickhouse_catalog::entries(now);
            println!("{}", serde_json::to_string_pretty(&entries)?);
            Ok(())
        }
        Command::BenchFanout { iterations } => {
            crate::bench::fanout::fanout(iterations as usize).await
        }
        Command::BenchTelemetry { rows } => crate::bench::telemetry::run(rows).await,
        Command::BenchTenants { orgs } => crate::bench::tenants::run(orgs).await,
        Command::BenchPatients { rows, lookups } => {
            crate::bench::patients::run(rows, lookups as usize).await
        }
        Command::PatientExamples { fleet, json } => {
            let fleet = Fleet::load(&fleet)?;
            let plan = shardscope::demo::seed::plan(&fleet.shards, shardscope::demo::seed::SEED);
            let examples = shardscope::demo::seed::patient_examples(&plan);
            if json {
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
    }
}

async fn drifts(fleet: &std::path::Path, apply: bool) -> CliResult {
    let fleet = Fleet::load(fleet)?;
    let prefix =
        std::env::var("SHARDSCOPE_ROUTING_CACHE_PREFIX").unwrap_or_else(|_| "shard:".into());
    if apply {
        shardscope::demo::seed::drifts::apply(&fleet, &prefix).await?;
    } else {
        shardscope::demo::seed::drifts::revert(&fleet, &prefix).await?;
    }
    Ok(())
}

async fn migrate(target: MigrateTarget) -> CliResult {
    match target {
        MigrateTarget::Routing | MigrateTarget::Shard => {
            let url = std::env::var("SHARDSCOPE_MIGRATE_URL").map_err(
                |_| "SHARDSCOPE_MIGRATE_URL is not set (the database to migrate, as its owner)",
            )?;
            let pool = sqlx_pool(&url).await?;
            if target == MigrateTarget::Routing {
                shardscope::migrate::routing(&pool).await?;
            } else {
                shardscope::migrate::shard(&pool).await?;
            }
        }
        MigrateTarget::Clickhouse => {
            let config = shardscope::Config::from_env()?;
            let target = shardscope::clickhouse_db::Target::of(&config)
                .ok_or("SHARDSCOPE_CLICKHOUSE_URL is not set")?;
            shardscope::migrate::clickhouse(&target.base(), &target.database).await?;
        }
        MigrateTarget::AuditSubjects => {
            // Plain-hash subjects become keyed HMACs: in the routing DB (as its owner), and
            // ClickHouse's copies are deleted so the rewritten records are shipped again.
            let config = shardscope::Config::from_env()?;
            let url = std::env::var("SHARDSCOPE_MIGRATE_URL")
                .map_err(|_| "SHARDSCOPE_MIGRATE_URL is not set (the routing DB, as its owner)")?;
            let pool = sqlx_pool(&url).await?;
            let n = shardscope::auth::audit_rekey::rekey_routing(&pool, &config.keys).await?;
            println!("audit records rewritten with keyed subjects: {n}");
            if let Some(target) = shardscope::clickhouse_db::Target::of(&config) {
                let client = target.connect().await?;
                shardscope::auth::audit_rekey::purge_clickhouse(&client).await?;
                println!(
                    "ClickHouse copies with plain-hash subjects deleted (re-shipped by the console)"
                );
            }
        }
    }
    println!(
        "migrated {}",
        target
            .to_possible_value()
            .map_or(String::new(), |v| v.get_name().to_string())
    );
    Ok(())
}

async fn sqlx_pool(url: &str) -> Result<shardscope::migrate::Pool, Box<dyn std::error::Error>> {
    Ok(shardscope::migrate::connect(url).await?)
}

async fn serve() -> CliResult {
    let config = shardscope::Config::from_env()?;
    // The pages, exports and charts judge by the configured thresholds from here on.
    shardscope::thresholds::install(config.thresholds.clone())
        .map_err(|_| "the thresholds were installed twice with different values")?;
    let limits = crate::serve::Limits {
        header_read_timeout: config.http.header_read_timeout,
        max_connections: config.http.max_connections,
    };
    let console = shardscope::Console::new(config)?;
    let conf = get_configuration(None)?;
    let leptos_options = conf.leptos_options;
    console
        .config()
        .auth
        .check_exposure(leptos_options.site_addr)?;
    // Pages name the build's (hashed) asset files; refuse to start rather than serve pages whose
    // stylesheet and scripts do not exist.
    shardscope_app::pages::plain::set_stylesheet_href(crate::static_files::stylesheet_href(
        &leptos_options,
    )?);
    let addr = leptos_options.site_addr;
    let app = build_router(AppState {
        leptos_options,
        console: console.clone(),
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // The bound address (port 0 in the site address: the kernel chose it; tests read this line).
    let bound = listener.local_addr()?;
    // Every background task (history writer, audit export), started here and nowhere else.
    let tasks = shardscope::tasks::start(&console);
    tracing::info!("shardscope listening on http://{bound}");
    // SIGTERM or Ctrl-C: stop accepting, let open requests and the tasks' last batches finish
    // side by side, and exit within the grace (10 s in all).
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop = std::sync::Arc::new(stop);
    let asked = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let on_signal = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing open requests and background tasks");
        let _ = on_signal.send(true);
    });
    let server = async {
        let served = crate::serve::serve(
            listener,
            app,
            limits,
            asked(stopped.clone()),
            SHUTDOWN_GRACE,
        )
        .await;
        // The server ended by itself (an error): the tasks stop too.
        let _ = stop.send(true);
        served
    };
    let stopping = async {
        asked(stopped.clone()).await;
        tasks.shutdown(SHUTDOWN_GRACE).await
    };
    let (served, _) = tokio::join!(server, stopping);
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// How long open requests and background tasks get to finish once stop is asked for.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(8);

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
