//! The server through its router (in-process) and its binary, against the real fleet.
//!
//! One test binary for these files (nextest still runs every test in its own process).

#[path = "../common/mod.rs"]
mod common;

mod exports_walk;
mod guarantees;
mod hanging_peers;
mod no_secrets_in_logs;
mod page_structure;
mod patients_canary;
mod patients_pages;
mod render_race;
mod response_headers;
mod role_matrix;
mod router;
mod session_store_outage;
mod shard_history;
mod shard_pages;
mod shutdown;
mod sign_in;
mod static_assets;
mod telemetry_pages;
mod tenants_pages;
mod user_cli;
