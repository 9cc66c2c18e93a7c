//! Shared set-up for integration tests: the real fleet started by `scripts/test`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use shardscope::demo::fleet::Fleet;
use shardscope::{Config, Console};
use sqlx::postgres::{PgPool, PgPoolOptions};

pub fn fleet_file() -> PathBuf {
    PathBuf::from(std::env::var("SHARDSCOPE_FLEET_FILE").expect(
        "SHARDSCOPE_FLEET_FILE is not set: integration tests run against the fleet that \
         scripts/test starts (or `source .fleet/env` after scripts/fleet up)",
    ))
}

pub fn fleet() -> Fleet {
    Fleet::load(&fleet_file()).expect("fleet.json readable")
}

pub fn console() -> Console {
    Console::new(Config::from_env().expect("SHARDSCOPE_* env from the fleet")).expect("console")
}

pub async fn admin(fleet: &Fleet, port: u16, database: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(&fleet.admin_url(port, database))
        .await
        .expect("admin connection")
}

/// Run `scripts/fleet` against the same fleet (same dir, same ports).
pub fn fleet_cmd(args: &[&str]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(root.join("scripts/fleet"))
        .args(args)
        .status()
        .expect("scripts/fleet runs");
    assert!(status.success(), "scripts/fleet {args:?} failed");
}

/// A console whose config is adjusted first (deadline, cache, namespace...).
pub fn console_with(adjust: impl FnOnce(&mut Config)) -> Console {
    let mut config = Config::from_env().expect("SHARDSCOPE_* env from the fleet");
    adjust(&mut config);
    Console::new(config).expect("console")
}

/// A unique Redis namespace, so tests sharing the fleet's Redis never see each other's entries.
pub fn unique_namespace(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub mod proxy;
#[allow(unused_imports)]
pub use proxy::DelayProxy;
