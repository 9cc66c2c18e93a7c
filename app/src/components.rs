//! The shared look: every page is built from these (styles in `style/main.css`).
//!
//! - [`PageShell`]: a page's one shape: header, then loading, body or error.
//! - [`PageHeader`]: document title, the one `<h1>`, a lead line, actions.
//! - [`FilterBar`], [`TextField`], [`SelectField`]: filters as a form posted to `/filters`,
//!   answered with the page's URL.
//! - [`SortHeader`], [`EmptyState`], [`ErrorState`]: data tables (class `data-table` inside
//!   `table-wrap`; numbers in `num` cells).
//! - [`table_head`], [`ExportLinks`]: a table's header and "CSV · JSON" links, from its one
//!   definition (`shardscope::table`).
//! - [`StatusBadge`]: ok / warn / critical / unknown.
//! - [`AnsweredBanner`]: "N of M shards answered", and which did not and why.
//! - [`Pager`]: first / older pages.
//! - [`ChartFrame`]: a server-rendered SVG chart with its caption.
//! - [`RelativeTime`]: "12 s ago" with the exact time in a tooltip.
//!
//! Only what an island uses is built for the browser; the rest is server-only.

#[cfg(feature = "ssr")]
mod answered_banner;
#[cfg(feature = "ssr")]
mod chart_frame;
mod data_table;
#[cfg(feature = "ssr")]
mod filter_bar;
#[cfg(feature = "ssr")]
mod page_header;
#[cfg(feature = "ssr")]
mod page_shell;
#[cfg(feature = "ssr")]
mod pagination;
#[cfg(feature = "ssr")]
mod relative_time;
#[cfg(feature = "ssr")]
mod status_badge;
#[cfg(feature = "ssr")]
mod table_head;

#[cfg(feature = "ssr")]
pub use answered_banner::{Answered, AnsweredBanner};
#[cfg(feature = "ssr")]
pub use chart_frame::ChartFrame;
pub use data_table::{EmptyState, ErrorState, SortHeader};
#[cfg(feature = "ssr")]
pub use filter_bar::{FilterBar, SelectField, TextField};
#[cfg(feature = "ssr")]
pub use page_header::{DocumentTitle, PageHeader, document_title, escape_html};
#[cfg(feature = "ssr")]
pub use page_shell::{Heading, PageShell};
#[cfg(feature = "ssr")]
pub use pagination::Pager;
#[cfg(feature = "ssr")]
pub use relative_time::RelativeTime;
#[cfg(feature = "ssr")]
pub use status_badge::{Level, StatusBadge};
#[cfg(feature = "ssr")]
pub use table_head::{ExportLinks, export_href, table_head};
