//! The shard page's audit-log partitions panel.

use leptos::prelude::*;

use crate::components::{ErrorState, Level, StatusBadge, table_head};
use crate::format::{bytes, count};
use shardscope::shards::partitions::Partitions;
use shardscope::shards::tables;

#[component]
pub(super) fn AuditPartitions(parts: Partitions) -> impl IntoView {
    view! {
        <section aria-labelledby="s-partitions">
            <h2 id="s-partitions">"Audit-log partitions"</h2>
            {(!parts.table_exists)
                .then(|| {
                    view! {
                        <ErrorState message="This shard has no audit_log table.".to_string() />
                    }
                })}
            {parts
                .missing
                .iter()
                .map(|m| {
                    view! {
                        <p class="notice" role="alert" data-missing-partition=m.month_start.clone()>
                            <StatusBadge level=Level::Critical text="missing" />
                            " "
                            {format!("No partition holds {}. Run: ", &m.month_start[..7])}
                            <code>{m.statement.clone()}</code>
                        </p>
                    }
                })
                .collect_view()}
            {(parts.default_rows > 0)
                .then(|| {
                    view! {
                        <p
                            class="notice"
                            role="alert"
                            data-default-rows=parts.default_rows.to_string()
                        >
                            <StatusBadge level=Level::Warn text="rows in default" />
                            " "
                            {format!(
                                "About {} rows are in a default partition: they belong in a month's partition.",
                                count(parts.default_rows),
                            )}
                        </p>
                    }
                })}
            <div class="table-wrap">
                <table class="data-table partitions" data-table="partitions">
                    {table_head(&tables::partitions())}
                    <tbody>
                        {parts
                            .partitions
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <tr data-partition=p.name.clone()>
                                        <td class="mono">{p.name.clone()}</td>
                                        <td class="mono">{p.bound.clone()}</td>
                                        <td class="num">{bytes(p.bytes)}</td>
                                        <td class="num">{count(p.rows_estimate)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
