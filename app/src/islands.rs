//! Islands: the only parts of a page that ship as wasm and hydrate in the browser. Everything
//! else is rendered on the server and arrives complete; an island's props cross the wire, so they
//! are small serializable values, and an island still renders something useful without JavaScript.

mod shard_sort;

pub use shard_sort::{HeaderCell, ShardGridHeader, SortKey, ranked};
