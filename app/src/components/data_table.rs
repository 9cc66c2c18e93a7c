//! Pieces of data tables: sortable column headers that are links (`?sort=` works without
//! JavaScript; with it the router changes the query and the page re-sorts in place), and the empty
//! and error states a table shows instead of rows.

use leptos::prelude::*;

/// A sortable column's header cell. `href` is the page's URL with this column's `sort=`; the
/// current column carries `aria-sort`.
#[component]
pub fn SortHeader(
    #[prop(into)] label: String,
    href: String,
    /// `Some("ascending" | "descending")` when the table is sorted by this column.
    #[prop(into)]
    sorted: Signal<Option<&'static str>>,
    /// `th` for a `<table>`; `span` with `role="columnheader"` for an ARIA grid.
    #[prop(default = false)]
    aria_grid: bool,
    #[prop(default = false)] numeric: bool,
    /// The direction a click sorts in (shown by the arrow while the column is not the sorted one).
    #[prop(default = "descending")]
    direction: &'static str,
    #[prop(default = None)] title: Option<String>,
) -> impl IntoView {
    let arrow = move || match sorted.get().unwrap_or(direction) {
        "ascending" => "▲",
        _ => "▼",
    };
    let link = view! {
        <a class="sort-link" href=href>
            {label}
            <span class="arrow" aria-hidden="true">
                {arrow}
            </span>
        </a>
    };
    if aria_grid {
        view! {
            <span role="columnheader" class:num=numeric aria-sort=move || sorted.get() title=title>
                {link}
            </span>
        }
        .into_any()
    } else {
        view! {
            <th scope="col" class:num=numeric aria-sort=move || sorted.get() title=title>
                {link}
            </th>
        }
        .into_any()
    }
}

/// What a table shows when nothing matches.
#[component]
pub fn EmptyState(children: Children) -> impl IntoView {
    view! {
        <p class="empty-state" role="status">
            {children()}
        </p>
    }
}

/// What a panel shows when its data could not be read: the reason, in words the reader can act on.
#[component]
pub fn ErrorState(message: String) -> impl IntoView {
    view! {
        <p class="error-state" role="alert">
            {message}
        </p>
    }
}
