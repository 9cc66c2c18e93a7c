//! Cross-shard patient lookup (`/patients`): an identifier → the registry (hashes only) → every
//! shard for the person's org links (and the home shard for the profile), each shard under its
//! own deadline, read with the RLS-scoped tenant reader. Support sees names and linked orgs; a
//! superadmin may open the full profile after giving a reason. Every lookup and every opening is
//! one audit record (the identifier's hash, never its value); nothing here is ever cached.

pub mod identifier;
mod lookup;
pub mod reason;
pub mod registry;
pub mod shard_read;

pub use crate::auth::lookup_limit::{LimitVerdict, LookupLimiter};
pub use identifier::{Identifier, Kind};
pub use lookup::{LookupResult, OrgLink, Person, lookup, open_profile};
pub use reason::Reason;
pub use shard_read::{Link, Profile};
