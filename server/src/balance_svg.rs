//! Server-rendered SVG charts as their own URLs (`image/svg+xml`): a page links them with `<img>`,
//! so they work without JavaScript, are cached by the browser and stay out of the page's payload.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// `GET /charts/balance.svg`: patients per shard with the imbalance threshold.
pub async fn balance(State(state): State<AppState>) -> Response {
    match shardscope::overview::fleet_overview(&state.console).await {
        Ok(o) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "private, max-age=5"),
            ],
            o.chart_svg,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "balance chart failed");
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                "chart unavailable: the routing database did not answer",
            )
                .into_response()
        }
    }
}
