//! The per-shard rows of the overview. Rows arrive in the order shards answer; their visual order
//! is a CSS `order`, so sorting in the browser needs no re-render and the streamed page needs no
//! JavaScript to show rows sorted by shard id.

use leptos::prelude::*;

use crate::components::{Level, StatusBadge};
use crate::format::{age, bytes, count, lag_seconds, millis, utc};
pub use crate::islands::{HeaderCell, ShardGridHeader, SortKey, ranked};
use shardscope::clock::now_ms;
use shardscope::overview::ShardRow;
use shardscope::overview::probe::{ReplicaStatus, ShardStats};
use shardscope::overview::tables::{self, lagging};
use shardscope::thresholds::Judgement;

/// The row's status badge, as the backend judged it (`shardscope::overview::tables::status`).
pub fn row_status(row: &ShardRow) -> (Level, &'static str) {
    let (j, word) = tables::status(row);
    (Level::of(j), word)
}

/// The grid's header cells: the overview table's columns that have a header of their own.
pub fn header_cells() -> Vec<HeaderCell> {
    let table = tables::shards();
    table
        .header()
        .map(|c| HeaderCell {
            key: c.key.to_string(),
            label: c.label.clone(),
            numeric: c.kind.numeric(),
            help: c.help.map(str::to_string),
        })
        .collect()
}

/// The metric a row sorts by under `key`; `None` for a shard with no numbers (it goes last).
pub fn metric(row: &ShardRow, key: SortKey) -> Option<i64> {
    row.outcome.result.as_ref().ok().map(|s| match key {
        SortKey::Shard => 0,
        SortKey::Patients => s.patients,
        SortKey::Size => s.db_bytes,
        SortKey::Connections => s.conns_total,
    })
}

/// Sort rows; failed shards go last for numeric keys (they have no numbers).
pub fn sort_rows(rows: &mut [ShardRow], key: SortKey) {
    let order = ranked(
        rows.iter()
            .map(|r| (r.id.clone(), metric(r, key)))
            .collect(),
        key,
    );
    rows.sort_by_key(|r| order.iter().position(|id| *id == r.id));
}

/// Rows placed in the given order of shard ids, as CSS (`order` per row).
pub fn order_css(ids_in_order: &[String]) -> String {
    ids_in_order
        .iter()
        .enumerate()
        .map(|(i, id)| format!(".grid-row[data-shard=\"{}\"]{{order:{i}}}", css_string(id)))
        .collect()
}

/// The rows' initial visual order (by shard id) as a stylesheet carrying this response's CSP
/// nonce, so the streamed page is in order without JavaScript and without style attributes. In
/// the browser the sort buttons then set each row's `order` through the CSSOM, which the CSP
/// permits.
#[component]
pub fn GridOrder(ids: Vec<String>) -> impl IntoView {
    let mut sorted = ids;
    sorted.sort();
    view! { <style nonce=leptos::nonce::use_nonce()>{order_css(&sorted)}</style> }
}

/// Escape text for a double-quoted CSS string (hex escapes for anything unusual).
pub fn css_string(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c.to_string()
            } else {
                format!("\\{:x} ", c as u32)
            }
        })
        .collect()
}

#[component]
pub fn ShardRowView(row: ShardRow) -> impl IntoView {
    let id = row.id.clone();
    let now = now_ms();
    let age_ms = now.saturating_sub(row.outcome.measured_at_ms);
    let last_good = row
        .last_good
        .as_ref()
        .and_then(|o| Some((o.measured_at_ms, o.result.as_ref().ok()?)));
    // A row's place is a CSS `order`: the page's nonced stylesheets place it on the server (the
    // CSP allows no style attributes), the header island moves it in the browser from the numbers
    // it carries here.
    let [patients, size, conns] =
        [SortKey::Patients, SortKey::Size, SortKey::Connections].map(|k| metric(&row, k));
    // Failed now but answered before: the note goes in the row header (so every row has exactly
    // one cell per column for screen readers) and the last answer fills the cells, greyed.
    let stale_note = match (&row.outcome.result, last_good) {
        (Err(f), Some((at, _))) => Some(view! {
            <span class="failure stale-note" data-kind=f.kind.code()>
                {format!("not answering now: {f}")}
                <br />
                {format!("showing values from {} s ago", now.saturating_sub(at) / 1000)}
            </span>
        }),
        _ => None,
    };
    let cells = match (&row.outcome.result, last_good) {
        (Ok(s), _) | (Err(_), Some((_, s))) => stat_cells(s).into_any(),
        (Err(f), None) => view! {
            <span class="failure wide" role="cell" aria-colspan="5" data-kind=f.kind.code()>
                {format!("did not answer: {f}")}
            </span>
        }
        .into_any(),
    };
    let latency = row.outcome.latency_ms;
    let probe = if age_ms >= 1000 {
        format!(
            "{} · cached {}",
            millis(latency),
            age(age_ms, 0).trim_end_matches(" ago")
        )
    } else {
        millis(latency)
    };
    let measured = format!("measured {}", utc(row.outcome.measured_at_ms as i64));
    let failed = row.outcome.result.is_err();
    let stale = failed && last_good.is_some();
    let status = row_status(&row);
    view! {
        <div
            class="grid-row"
            class:failed=failed
            class:stale=stale
            role="row"
            data-shard=id.clone()
            data-patients=patients
            data-size=size
            data-connections=conns
        >
            <span class="shard" role="rowheader">
                <span class="shard-id">
                    <a href=format!("/shards/{}", crate::format::query_value(&id))>
                        <strong>{id.clone()}</strong>
                    </a>
                    " "
                    <StatusBadge level=status.0 text=status.1 />
                </span>
                <span class="endpoint">{row.primary.clone()}</span>
                {stale_note}
            </span>
            <span role="cell">{row.shard_type.clone()}</span>
            <span role="cell">
                {row.region.clone().unwrap_or_else(|| crate::format::NO_VALUE.into())}
            </span>
            {cells}
            <span class="num probe" role="cell" title=measured>
                {probe}
            </span>
        </div>
    }
}

fn stat_cells(s: &ShardStats) -> impl IntoView + use<> {
    let busy = tables::connections(s) == Judgement::Warn;
    let pct = shardscope::thresholds::current()
        .connections_share(s.conns_total, s.max_connections)
        .unwrap_or(0.0);
    view! {
        <span class="num orgs" role="cell">
            {count(s.orgs)}
        </span>
        <span class="num patients" role="cell" data-value=s.patients>
            {count(s.patients)}
        </span>
        <span class="num size" role="cell">
            {bytes(s.db_bytes)}
        </span>
        <span
            class="num conns"
            role="cell"
            class:warn=busy
            title=format!("{pct:.0} % of max_connections")
        >
            {format!(
                "{} / {} / {}",
                count(s.conns_active),
                count(s.conns_total),
                count(s.max_connections),
            )}
        </span>
        <span class="replicas-cell" role="cell">
            {if s.replicas.is_empty() {
                view! { <span class="note">"no replicas"</span> }.into_any()
            } else {
                view! {
                    <ul class="replicas">
                        {s.replicas.iter().cloned().map(replica_item).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </span>
    }
}

fn replica_item(rep: ReplicaStatus) -> impl IntoView {
    match rep.result {
        Ok(l) => view! {
            <li class="replica" class:lagging=lagging(&l)>
                <span class="endpoint">{rep.endpoint}</span>
                " "
                <span class="lag-s">{lag_seconds(l.seconds.seconds())}</span>
                " · "
                <span class="lag-bytes">{bytes(l.bytes as i64)}</span>
                {l.replay_paused.then_some(" · replay paused")}
            </li>
        }
        .into_any(),
        Err(f) => view! {
            <li class="replica failed">
                <span class="endpoint">{rep.endpoint}</span>
                " — "
                {f.to_string()}
            </li>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shardscope::federation::fanout::{Failure, FailureKind, Outcome};

    fn row(id: &str, patients: Option<i64>) -> ShardRow {
        ShardRow {
            id: id.into(),
            shard_type: "shared".into(),
            region: None,
            routed_orgs: 1,
            primary: "h:1/d".into(),
            last_good: None,
            outcome: Outcome {
                target: id.into(),
                latency_ms: 1,
                measured_at_ms: 0,
                result: match patients {
                    Some(p) => Ok(ShardStats {
                        orgs: 1,
                        patients: p,
                        db_bytes: p * 10,
                        conns_active: 0,
                        conns_total: p / 100,
                        max_connections: 100,
                        streaming_replicas: 0,
                        replicas: vec![],
                        ..Default::default()
                    }),
                    None => Err(Failure::new(FailureKind::Timeout, "timeout")),
                },
            },
        }
    }

    #[test]
    fn sorts_by_metric_with_failures_last() {
        let mut rows = vec![row("a", Some(10)), row("b", None), row("c", Some(30))];
        sort_rows(&mut rows, SortKey::Patients);
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        sort_rows(&mut rows, SortKey::Shard);
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[test]
    fn status_badges_say_what_is_wrong() {
        assert_eq!(row_status(&row("a", Some(10))), (Level::Ok, "ok"));
        assert_eq!(
            row_status(&row("a", None)),
            (Level::Critical, "not answering")
        );
        assert_eq!(
            row_status(&row("a", Some(9_000))),
            (Level::Warn, "connections")
        );
    }

    #[test]
    fn the_header_is_the_tables_and_sorts_where_it_did() {
        let cells = header_cells();
        let labels: Vec<&str> = cells.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Shard",
                "Type",
                "Region",
                "Orgs",
                "Patients",
                "DB size",
                "Connections",
                "Replicas (replay lag)",
                "Probe"
            ]
        );
        let sortable: Vec<SortKey> = cells
            .iter()
            .filter_map(|c| SortKey::of_column(&c.key))
            .collect();
        assert_eq!(sortable, SortKey::ALL);
    }

    #[test]
    fn css_strings_cannot_break_out() {
        assert_eq!(css_string("us-1"), "us-1");
        assert_eq!(css_string("a\"]{x}<"), "a\\22 \\5d \\7b x\\7d \\3c ");
    }
}
