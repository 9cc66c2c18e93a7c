//! The HTTP server loop. `axum::serve` has neither a header-read timeout nor a connection limit
//! (and a tower layer runs only once the headers are in), so a client that never finishes its
//! request line holds a connection forever. Here every connection is served as HTTP/1 with a
//! header-read timeout that runs from the moment it is accepted (a socket that sends nothing is
//! closed when it expires), at most `max_connections` at once (further clients wait in the listen
//! backlog until one ends), and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The limits a connection is served under.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A client must send its whole request head within this, or the connection is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

/// Serve `app` on `listener` until `shutdown` resolves, then let open requests finish (at most
/// `grace`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // HTTP/1 only, served by `serve_connection` (in hyper-util 0.1.21 `..._with_upgrades` runs
    // protocol detection even when `http1_only` is set). Detection waits for the first 24 bytes
    // with no timer, before any header-read timeout can start, so 0-byte (or `PRI`-prefix)
    // sockets held a connection slot forever; and an idle h2c connection has no timeout at all.
    // Browsers speak HTTP/2 only over TLS, which a proxy in front terminates; h2c served no one,
    // and nothing here upgrades a connection.
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(
            app.clone()
                .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer))),
        );
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "connections still open; stopping anyway");
        }
    }
    Ok(())
}
