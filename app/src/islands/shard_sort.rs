//! The overview's sort headers: the one control on a read-only page that needs the browser.

use leptos::prelude::*;

use crate::components::SortHeader;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    Shard,
    Patients,
    Size,
    Connections,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Shard,
        SortKey::Patients,
        SortKey::Size,
        SortKey::Connections,
    ];

    /// The value of `?sort=` for this key.
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Shard => "shard",
            SortKey::Patients => "patients",
            SortKey::Size => "size",
            SortKey::Connections => "connections",
        }
    }

    /// `?sort=` as typed; anything unknown sorts by shard (the default), like a missing one.
    pub fn from_param(p: Option<&str>) -> SortKey {
        SortKey::ALL
            .into_iter()
            .find(|k| Some(k.param()) == p)
            .unwrap_or(SortKey::Shard)
    }

    /// Shard ids read A→Z; every metric reads biggest first.
    pub fn direction(self) -> &'static str {
        match self {
            SortKey::Shard => "ascending",
            _ => "descending",
        }
    }

    pub fn href(self) -> String {
        format!("/?sort={}", self.param())
    }

    /// The key a column of the overview's table sorts by, if it is sortable.
    pub fn of_column(key: &str) -> Option<SortKey> {
        match key {
            "shard_id" => Some(SortKey::Shard),
            "patients" => Some(SortKey::Patients),
            "db_bytes" => Some(SortKey::Size),
            "conns_total" => Some(SortKey::Connections),
            _ => None,
        }
    }

    /// The key a sort link points at (`…?sort=KEY`), if it is one.
    pub fn from_href(href: &str) -> Option<SortKey> {
        let p = href.rsplit_once("sort=")?.1;
        SortKey::ALL.into_iter().find(|k| k.param() == p)
    }
}

/// Shard ids in display order: by id A→Z, or by the metric biggest first (ties by id), shards
/// without numbers last. The server's stylesheet and the browser's in-place sort both use it.
pub fn ranked(mut rows: Vec<(String, Option<i64>)>, key: SortKey) -> Vec<String> {
    match key {
        SortKey::Shard => rows.sort_by(|a, b| a.0.cmp(&b.0)),
        _ => rows.sort_by(|a, b| {
            let m = |r: &(String, Option<i64>)| r.1.unwrap_or(i64::MIN);
            m(b).cmp(&m(a)).then_with(|| a.0.cmp(&b.0))
        }),
    }
    rows.into_iter().map(|r| r.0).collect()
}

/// One header cell of the grid, from the overview's table definition
/// (`shardscope::overview::tables::shards`): the island cannot read the backend's types.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeaderCell {
    pub key: String,
    pub label: String,
    pub numeric: bool,
    pub help: Option<String>,
}

/// The grid's header row: the one interactive piece of the overview, shipped as an island.
///
/// The sortable columns are links (`?sort=`): without JavaScript (or before the island hydrates)
/// a click loads the page sorted by the server. Once hydrated, a click sorts the rows already on
/// the page: each row's CSS `order` is set from the numbers it carries (`data-patients`, …), the
/// URL changes by `history.pushState`, and no shard is read again.
#[island]
pub fn ShardGridHeader(sort: SortKey, columns: Vec<HeaderCell>) -> impl IntoView {
    let (sort, set_sort) = signal(sort);
    let sorted =
        move |key: SortKey| Signal::derive(move || (sort.get() == key).then_some(key.direction()));
    let on_click = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(key) = browser::clicked_key(&ev) {
            ev.prevent_default();
            browser::place_rows(key, true);
            set_sort.set(key);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, set_sort);
    };
    // Back and forward move between the sorts this page has shown.
    #[cfg(feature = "hydrate")]
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        let key = browser::url_key();
        browser::place_rows(key, false);
        set_sort.set(key);
    });
    let cells = columns
        .into_iter()
        .map(|c| match SortKey::of_column(&c.key) {
            Some(key) => view! {
                <SortHeader
                    label=c.label
                    href=key.href()
                    sorted=sorted(key)
                    aria_grid=true
                    numeric=c.numeric
                    direction=key.direction()
                    title=c.help
                />
            }
            .into_any(),
            None => view! {
                <span role="columnheader" class:num=c.numeric title=c.help>
                    {c.label}
                </span>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        <div class="grid-row head" role="row" on:click=on_click>
            {cells}
        </div>
    }
}

/// The header island's work in the browser: which sort link was clicked, and moving the rows.
#[cfg(feature = "hydrate")]
mod browser {
    use super::{SortKey, ranked};
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{Element, HtmlElement};

    /// The key of the sort link a plain click landed on (a click with a modifier opens a tab, as
    /// a link does).
    pub fn clicked_key(ev: &web_sys::MouseEvent) -> Option<SortKey> {
        if ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
            return None;
        }
        let target: Element = ev.target()?.dyn_into().ok()?;
        let link = target.closest("a.sort-link").ok()??;
        SortKey::from_href(&link.get_attribute("href")?)
    }

    /// The sort in the address bar.
    pub fn url_key() -> SortKey {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        SortKey::from_href(&search).unwrap_or(SortKey::Shard)
    }

    /// Give every row on the page its place for `key` (an inline `order`, which the CSP permits
    /// through the CSSOM); with `push`, record the sort in the address bar and the Refresh link.
    pub fn place_rows(key: SortKey, push: bool) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Some(doc) = window.document() else { return };
        let Ok(list) = doc.query_selector_all(".shard-grid .grid-row[data-shard]") else {
            return;
        };
        let attr = match key {
            SortKey::Shard => None,
            SortKey::Patients => Some("data-patients"),
            SortKey::Size => Some("data-size"),
            SortKey::Connections => Some("data-connections"),
        };
        let rows: Vec<(String, HtmlElement)> = (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
            .map(|el| (el.get_attribute("data-shard").unwrap_or_default(), el))
            .collect();
        let metrics = rows
            .iter()
            .map(|(id, el)| {
                let m = attr.and_then(|a| el.get_attribute(a)?.parse().ok());
                (id.clone(), m)
            })
            .collect();
        let order = ranked(metrics, key);
        for (id, el) in &rows {
            if let Some(i) = order.iter().position(|x| x == id) {
                let _ = el.style().set_property("order", &i.to_string());
            }
        }
        if push {
            if let Ok(history) = window.history() {
                let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&key.href()));
            }
            if let Ok(Some(refresh)) = doc.query_selector("a[data-refresh]") {
                let _ = refresh.set_attribute("href", &key.href());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_by_id_or_metric_with_numberless_shards_last() {
        let rows = |v: &[(&str, Option<i64>)]| -> Vec<(String, Option<i64>)> {
            v.iter().map(|(id, m)| (id.to_string(), *m)).collect()
        };
        let r = rows(&[
            ("us-1", Some(5)),
            ("eu-1", Some(50)),
            ("org-101", None),
            ("ap-1", Some(5)),
        ]);
        assert_eq!(
            ranked(r.clone(), SortKey::Shard),
            ["ap-1", "eu-1", "org-101", "us-1"]
        );
        assert_eq!(
            ranked(r, SortKey::Patients),
            ["eu-1", "ap-1", "us-1", "org-101"]
        );
    }

    #[test]
    fn sort_links_name_their_key() {
        for k in SortKey::ALL {
            assert_eq!(SortKey::from_href(&k.href()), Some(k));
        }
        assert_eq!(SortKey::from_href("/?sort=nonsense"), None);
        assert_eq!(SortKey::from_href("/tenants"), None);
    }
}
