//! The backend crate against the real fleet: engine, accounts, migrations, Redis, ClickHouse.
//!
//! One test binary for these files (nextest still runs every test in its own process).

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod audit_rekey;
mod engine;
mod fanout;
mod history_writer;
mod migrations;
mod redis_hang;
mod routing_cache;
mod session_store;
mod telemetry;
mod telemetry_client;
mod tls;
