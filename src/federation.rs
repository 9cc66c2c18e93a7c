//! The federation engine: every query the console fans out across shards goes through here.
//!
//! [`Fleet`] is the engine's handle (configuration, routing DB, pools, shard list); [`fanout`]
//! runs one probe per shard in parallel under per-shard deadlines; [`probe_cache`] is the short
//! shared cache of probe results in Redis; [`pools`] and [`endpoint`] hold the tiny read-only,
//! time-limited per-endpoint pools. The engine depends on nothing above it: each capability
//! (overview, telemetry, tenants, patients) says what else it needs as a trait over [`Engine`],
//! and `crate::console::Console` implements them all.

pub mod endpoint;
pub mod fanout;
pub mod fleet;
pub mod pools;
pub mod probe_cache;
pub mod shard_list;

use std::future::Future;
use std::sync::Arc;

use sqlx::PgPool;

use crate::coalesce::Memo;
use crate::config::Config;
use crate::error::Result;
pub use fleet::Fleet;
use pools::ShardPools;
use shard_list::ShardInfo;

/// Whatever gives a capability the engine. Cheap to clone (handles share one state), so a
/// capability can move it into a task.
pub trait Engine: Clone + Send + Sync + 'static {
    fn fleet(&self) -> &Fleet;

    fn config(&self) -> &Config {
        self.fleet().config()
    }

    fn routing(&self) -> &PgPool {
        self.fleet().routing()
    }

    fn pools(&self) -> &ShardPools {
        self.fleet().pools()
    }

    fn tenant_readers(&self) -> Option<&ShardPools> {
        self.fleet().tenant_readers()
    }

    /// Results shared for the cache TTL and computed once at a time (routing-DB reads and
    /// fan-outs whose answer every viewer shares).
    fn memo(&self) -> &Memo {
        self.fleet().memo()
    }

    fn shards(&self) -> impl Future<Output = Result<Arc<Vec<ShardInfo>>>> + Send {
        self.fleet().shards()
    }
}

impl Engine for Fleet {
    fn fleet(&self) -> &Fleet {
        self
    }
}
