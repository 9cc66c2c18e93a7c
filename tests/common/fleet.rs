//! The fleet `scripts/test` starts, for both test trees: the backend's `tests/` and the server's
//! `server/tests/` include this one file, so there is one copy of these helpers.

use std::path::{Path, PathBuf};
use std::process::Command;

use shardscope::demo::fleet::Fleet;
use sqlx::postgres::{PgPool, PgPoolOptions};

pub fn fleet_file() -> PathBuf {
    PathBuf::from(std::env::var("SHARDSCOPE_FLEET_FILE").expect(
        "SHARDSCOPE_FLEET_FILE is not set: integration tests run against the fleet that \
         scripts/test starts (or `source .fleet/env` after scripts/fleet up)",
    ))
}

/// The fleet started by scripts/test.
pub fn fleet() -> Fleet {
    Fleet::load(&fleet_file()).expect("fleet.json readable")
}

/// The checkout's root (where `scripts/` is), from whichever crate's tests run.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| d.join("scripts/fleet").is_file())
        .expect("scripts/fleet above the crate")
        .to_path_buf()
}

/// Run `scripts/fleet` against the same fleet (same dir, same ports).
pub fn fleet_cmd(args: &[&str]) {
    let out = Command::new(root().join("scripts/fleet"))
        .args(args)
        .output()
        .expect("scripts/fleet runs");
    assert!(
        out.status.success(),
        "scripts/fleet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A connection pool (two at most) to one database of the fleet as its administrator.
pub async fn admin_pool(port: u16, database: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(&fleet().admin_url(port, database))
        .await
        .expect("admin connection")
}
