//! The local demo/test fleet's layout, written by `scripts/fleet up` to `fleet.json`.
//!
//! Only the seeder, the simulator and the tests read this file; the console itself learns shards
//! from the routing DB like it would in production.

use std::path::Path;

use serde::Deserialize;

use crate::error::Result;

#[derive(Clone, Debug, Deserialize)]
pub struct Fleet {
    pub host: String,
    pub admin_user: String,
    pub admin_password: String,
    pub monitor_password: String,
    /// The console's tenant-reader role on every shard (RLS applies to it).
    pub tenant_reader_password: String,
    pub console_password: String,
    /// Password of the platform's own app role, baked into `tenant_shards` URLs like production.
    pub app_password: String,
    pub routing_port: u16,
    pub routing_database: String,
    pub shard_database: String,
    pub redis_url: String,
    pub clickhouse_url: String,
    pub clickhouse_database: String,
    pub shards: Vec<FleetShard>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FleetShard {
    pub id: String,
    pub shard_type: String,
    pub region: String,
    pub primary_port: u16,
    pub replica_ports: Vec<u16>,
}

impl Fleet {
    pub fn load(path: &Path) -> Result<Self> {
        Ok(serde_json::from_slice(&std::fs::read(path)?)?)
    }

    pub fn admin_url(&self, port: u16, database: &str) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{}",
            self.admin_user, self.admin_password, self.host, port, database
        )
    }

    /// What the platform stores in `tenant_shards`: URLs carrying its app role's credentials.
    pub fn platform_url(&self, port: u16) -> String {
        format!(
            "postgres://platform_app:{}@{}:{}/{}",
            self.app_password, self.host, port, self.shard_database
        )
    }

    pub fn shard(&self, id: &str) -> Option<&FleetShard> {
        self.shards.iter().find(|s| s.id == id)
    }
}
