//! The shared look: every page is built from these (styles in `style/main.css`).
//!
//! - [`PageHeader`]: document title, the one `<h1>`, a lead line, actions.
//! - [`FilterBar`], [`TextField`], [`SelectField`]: filters as a GET form (all in the URL).
//! - [`SortHeader`], [`EmptyState`], [`ErrorState`]: data tables (class `data-table` inside
//!   `table-wrap`; numbers in `num` cells).
//! - [`StatusBadge`]: ok / warn / critical / unknown.
//! - [`AnsweredBanner`]: "N of M shards answered", and which did not and why.
//! - [`Pager`]: first / older pages.
//! - [`ChartFrame`]: a server-rendered SVG chart with its caption.
//! - [`RelativeTime`]: "12 s ago" with the exact time in a tooltip.

mod answered_banner;
mod chart_frame;
mod data_table;
mod filter_bar;
mod page_header;
mod pagination;
mod relative_time;
mod status_badge;

pub use answered_banner::AnsweredBanner;
pub use chart_frame::ChartFrame;
pub use data_table::{EmptyState, ErrorState, SortHeader};
pub use filter_bar::{FilterBar, SelectField, TextField};
pub use page_header::{DocumentTitle, PageHeader, document_title, escape_html};
pub use pagination::Pager;
pub use relative_time::RelativeTime;
pub use status_badge::{Level, StatusBadge};
