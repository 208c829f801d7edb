//! Accepting connections within limits: a cap on how many are open at once, a deadline for a
//! request's headers (which is also how long a kept-alive connection may sit idle), a deadline
//! for its body, and a descriptor limit raised as far as the system allows.
//!
//! Without them 20,000 silent connections exhausted the process's descriptors: `/healthz`
//! stopped answering and scheduled jobs could not open the database. With them a silent
//! connection is closed after the header deadline, and past the cap a new connection gets an
//! immediate `503` and is closed, so the descriptors the server needs for its database and its
//! jobs are never all taken by visitors.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The limits of `trama serve` (its `--max-connections`, `--header-timeout` and
/// `--body-timeout` options).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; one more is answered `503` and closed.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, counted from when the server
    /// starts waiting for them: it bounds slow headers and idle kept-alive connections alike.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body.
    pub body_timeout: Duration,
}

/// What a connection over the cap is told before it is closed: the kernel's JSON envelope.
const OVER_CAPACITY: &str =
    r#"{"error":{"kind":"busy","message":"the server has too many open connections: try again"}}"#;

/// Connections over the cap being answered at once; more are dropped without an answer.
const MAX_REFUSALS: usize = 256;

/// Raises the soft limit on open descriptors to the hard limit; returns the limit in force.
pub fn raise_descriptor_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(err) => {
            tracing::warn!(%err, "cannot raise the limit on open files");
            None
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then lets the open
/// connections finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_timeout,
    ));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before accept: wait a moment
                    // rather than spin, and go on serving those already open.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            // Refusals are bounded too: past that, a connection is simply dropped.
            if let Ok(refusing) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(refusing);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        // Each request carries the peer's address, which the login throttle reads
        // (`ConnectInfo`, as `axum::serve` would set it).
        let app = app.clone();
        let service = tower::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = watched.await {
                tracing::debug!(%err, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    graceful.shutdown().await;
}

/// Answers a connection over the cap and closes it. What the client sent is read and dropped
/// until it closes (for a second at most): closing a socket with unread data resets it, and the
/// client would see a reset instead of the answer.
async fn refuse(mut stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{OVER_CAPACITY}",
        OVER_CAPACITY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}
