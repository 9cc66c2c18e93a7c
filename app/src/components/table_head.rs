//! A table's header and its export links, from the table's one definition
//! (`shardscope::table::Table`): the labels the page shows are the CSV and JSON columns.

use leptos::prelude::*;
use shardscope::table::Table;

/// `<thead>` of a table: one `<th scope="col">` per column, numbers right-aligned, without the
/// columns the page shows as headings instead (a table per shard or node) or inside another
/// column's cell.
pub fn table_head<R>(table: &Table<R>) -> impl IntoView + use<R> {
    let cells = table
        .header()
        .map(|c| {
            let numeric = c.kind.numeric();
            let label = c.label.clone();
            view! {
                <th scope="col" class:num=numeric title=c.help>
                    {label}
                </th>
            }
        })
        .collect_view();
    view! {
        <thead>
            <tr>{cells}</tr>
        </thead>
    }
}

/// The page's own URL with `format` and `table` set (and no `page=` or `before=`: an export is the
/// whole view).
pub fn export_href(path: &str, search: &str, format: &str, table: &str) -> String {
    let mut parts: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or_default();
            !matches!(key, "format" | "table" | "page" | "before")
        })
        .collect();
    let tail = format!(
        "format={format}&table={}",
        crate::format::query_value(table)
    );
    parts.push(&tail);
    format!("{path}?{}", parts.join("&"))
}

/// "CSV · JSON" for one of the page's tables, at the page's URL with its filters.
#[component]
pub fn ExportLinks(table: &'static str) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    let csv = export_href(&path, &search, "csv", table);
    let json = export_href(&path, &search, "json", table);
    view! {
        <p class="export" data-export=table>
            "Download this table: "
            <a href=csv download="">
                "CSV"
            </a>
            " · "
            <a href=json download="">
                "JSON"
            </a>
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::export_href;

    #[test]
    fn links_keep_the_filters_and_drop_the_page() {
        assert_eq!(
            export_href("/tenants", "?q=a%20b&page=2&format=html", "csv", "tenants"),
            "/tenants?q=a%20b&format=csv&table=tenants"
        );
        assert_eq!(
            export_href("/pools", "", "json", "series"),
            "/pools?format=json&table=series"
        );
    }
}
