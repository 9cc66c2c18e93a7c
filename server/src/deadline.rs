//! Every request answers or fails within `SHARDSCOPE_REQUEST_TIMEOUT_MS`: a page never hangs.
//!
//! The per-shard deadlines bound the federated work; this bounds everything else (a Redis or
//! routing DB that accepts connections and never answers, a bug that awaits forever). The bound
//! covers the whole response, streamed body included: a response whose head was not ready in
//! time is a 503 page saying so; a streamed page body still open at the deadline is cut off with
//! an error, so the client sees a failed transfer instead of a page that silently stops. Static
//! assets' bodies are not cut (they download at the client's pace).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use http_body::{Body as HttpBody, Frame, SizeHint};
use shardscope_app::pages::plain::message_document;
use tokio::time::{Instant, Sleep, sleep_until};

use crate::state::AppState;

pub async fn bound(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.console.config().engine.request_timeout;
    let until = Instant::now() + limit;
    let path = req.uri().path().to_string();
    // Static assets (the wasm bundle among them) stream from disk at the client's pace: a slow
    // link must not cut a download off. Their head is still bounded.
    let bound_body = !is_static_asset(&path);
    match tokio::time::timeout_at(until, next.run(req)).await {
        Ok(response) if !bound_body => response,
        Ok(response) => response.map(|body| {
            Body::new(DeadlineBody {
                inner: body,
                deadline: Box::pin(sleep_until(until)),
                path,
            })
        }),
        Err(_) => {
            tracing::error!(%path, limit_ms = limit.as_millis() as u64, "request exceeded its deadline");
            timed_out(limit)
        }
    }
}

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico"
}

fn timed_out(limit: std::time::Duration) -> Response {
    let secs = limit.as_secs_f64();
    let shown = if secs.fract() == 0.0 {
        format!("{secs:.0}")
    } else {
        format!("{secs:.1}")
    };
    let message = format!(
        "This request did not complete within {shown} s, so it was stopped. Part of the \
         platform is not answering; try again in a minute."
    );
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(message_document(
            "Request timed out",
            &message,
            ("/", "Back to the fleet overview"),
            false,
        )),
    )
        .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    res
}

/// A response body that errors out when the request's deadline passes before it ends.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    path: String,
}

impl HttpBody for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                tracing::error!(path = %self.path, "response body exceeded the request deadline");
                Poll::Ready(Some(Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "response body exceeded the request deadline",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
