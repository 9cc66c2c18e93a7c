//! The per-shard table of the overview, sortable in the browser once hydrated.

use leptos::prelude::*;

use crate::dto::{ReplicaDto, ShardRowDto, ShardStatsDto};
use crate::format::{age, bytes, count, lag_seconds};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Shard => "shard",
            SortKey::Patients => "patients",
            SortKey::Size => "size",
            SortKey::Connections => "connections",
        }
    }
}

/// Sort rows; failed shards go last for numeric keys (they have no numbers).
pub fn sort_rows(rows: &mut [ShardRowDto], key: SortKey) {
    let metric = |r: &ShardRowDto| -> i64 {
        r.stats().map_or(i64::MIN, |s| match key {
            SortKey::Shard => 0,
            SortKey::Patients => s.patients,
            SortKey::Size => s.db_bytes,
            SortKey::Connections => s.conns_total,
        })
    };
    match key {
        SortKey::Shard => rows.sort_by(|a, b| a.id.cmp(&b.id)),
        _ => rows.sort_by(|a, b| metric(b).cmp(&metric(a)).then_with(|| a.id.cmp(&b.id))),
    }
}

#[component]
pub fn ShardTable(
    shards: Vec<ShardRowDto>,
    sort: ReadSignal<SortKey>,
    /// When the page was built: ages of stale values are relative to it.
    generated_at_ms: u64,
) -> impl IntoView {
    let rows = move || {
        let mut rows = shards.clone();
        sort_rows(&mut rows, sort.get());
        rows.into_iter()
            .map(|r| shard_row(r, generated_at_ms))
            .collect_view()
    };
    view! {
        <table class="shards">
            <thead>
                <tr>
                    <th>"Shard"</th>
                    <th>"Type"</th>
                    <th>"Region"</th>
                    <th class="num">"Orgs"</th>
                    <th class="num">"Patients"</th>
                    <th class="num">"DB size"</th>
                    <th class="num" title="client connections other than the console's: active / total / max_connections">
                        "Connections"
                    </th>
                    <th>"Replicas (replay lag)"</th>
                    <th class="num">"Probe"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn stat_cells(s: &ShardStatsDto) -> impl IntoView + use<> {
    let pct = if s.max_connections > 0 {
        s.conns_total * 100 / s.max_connections
    } else {
        0
    };
    view! {
        <td class="num">{count(s.orgs)}</td>
        <td class="num">{count(s.patients)}</td>
        <td class="num">{bytes(s.db_bytes)}</td>
        <td class="num" class:warn={pct >= 80}>
            {format!("{} / {} / {}", s.conns_active, s.conns_total, s.max_connections)}
        </td>
        <td>
            <ul class="replicas">{s.replicas.iter().cloned().map(replica_item).collect_view()}</ul>
        </td>
    }
}

fn shard_row(r: ShardRowDto, now_ms: u64) -> impl IntoView {
    let id = r.id.clone();
    let cells = match &r.status {
        Ok(s) => stat_cells(s).into_any(),
        Err(f) => match &r.last_good {
            // Failed now, answered before: show that answer, marked stale with its age.
            Some(lg) => view! {
                <td colspan="5" class="failure stale" data-kind=f.kind.clone()>
                    <div>{format!("did not answer: {}", f.message)}</div>
                    <div class="stale-note">
                        {format!("last good values, measured {}:", age(now_ms, lg.measured_at_ms))}
                    </div>
                    <table class="stale-values">
                        <tr>{stat_cells(&lg.stats)}</tr>
                    </table>
                </td>
            }
            .into_any(),
            None => view! {
                <td colspan="5" class="failure" data-kind=f.kind.clone()>
                    {format!("did not answer: {}", f.message)}
                </td>
            }
            .into_any(),
        },
    };
    let cached = now_ms.saturating_sub(r.measured_at_ms) >= 1000;
    let probe = if cached {
        format!("{} ms · {}", r.latency_ms, age(now_ms, r.measured_at_ms))
    } else {
        format!("{} ms", r.latency_ms)
    };
    let failed = r.status.is_err();
    view! {
        <tr data-shard=id.clone() class:failed=failed>
            <td>
                <strong>{id.clone()}</strong>
                <div class="endpoint">{r.primary.clone()}</div>
            </td>
            <td>{r.shard_type.clone()}</td>
            <td>{r.region.clone().unwrap_or_default()}</td>
            {cells}
            <td class="num" title="probe time · age of a cached result">{probe}</td>
        </tr>
    }
}

fn replica_item(rep: ReplicaDto) -> impl IntoView {
    match rep.status {
        Ok(l) => view! {
            <li class="replica" class:lagging=l.seconds.is_none_or(|s| s > 5.0)>
                <span class="endpoint">{rep.endpoint}</span>
                " "
                <span class="lag-s">{lag_seconds(l.seconds)}</span>
                " · "
                <span class="lag-bytes">{bytes(l.bytes as i64)}</span>
                {l.paused.then_some(" · replay paused")}
            </li>
        }
        .into_any(),
        Err(f) => view! {
            <li class="replica failed">
                <span class="endpoint">{rep.endpoint}</span>
                " — "
                {f.message}
            </li>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::FailureDto;

    fn row(id: &str, patients: Option<i64>) -> ShardRowDto {
        ShardRowDto {
            id: id.into(),
            shard_type: "shared".into(),
            region: None,
            routed_orgs: 1,
            primary: "h:1/d".into(),
            latency_ms: 1,
            measured_at_ms: 0,
            last_good: None,
            status: match patients {
                Some(p) => Ok(ShardStatsDto {
                    orgs: 1,
                    patients: p,
                    db_bytes: p * 10,
                    conns_active: 0,
                    conns_total: p / 100,
                    max_connections: 100,
                    streaming_replicas: 0,
                    replicas: vec![],
                }),
                None => Err(FailureDto {
                    kind: "timeout".into(),
                    message: "timeout".into(),
                }),
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
}
