//! The accept loop. `axum::serve` has no read timeouts and no connection cap:
//! a client trickling its headers or body held a task and a socket for ever,
//! and enough of them exhausted the file descriptors. Here each connection
//! has one timer (header, body or keep-alive limit, whichever applies), the
//! number of connections is capped below the open-files limit, and the
//! graceful shutdown and its grace period are kept.
//!
//! hyper's own `header_read_timeout` is not used: it also runs while a
//! kept-alive connection waits for its next request, so the keep-alive
//! limit could never exceed the header limit.

mod activity;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::Service;

use crate::config::ServerLimits;
use crate::http::error::{AppError, MSG_REQUEST_TIMEOUT};
pub use activity::BodyClock;
use activity::{Activity, InFlight, TrackedIo};

const RUNNING: u8 = 0;
const DRAINING: u8 = 1;
const CLOSING: u8 = 2;

/// Serves `router` on `listener` until `shutdown` resolves; open connections
/// then get `grace` to finish their requests before they are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    let fd_limit = raise_fd_limit();
    let cap = limits
        .max_connections(fd_limit)
        .min(Semaphore::MAX_PERMITS)
        .min(u32::MAX as usize);
    tracing::info!(
        open_files = fd_limit,
        max_connections = cap,
        "connection limits"
    );
    let permits = Arc::new(Semaphore::new(cap));
    let (phase_tx, phase_rx) = watch::channel(RUNNING);
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut refusals = Warner::new("connection limit reached: new connections closed at once");
    let mut accept_errors = Warner::new("accepting connections failed");
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    accept_errors.note(&err);
                    // Out of descriptors or memory: give closing ones a moment.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Refusing at once costs a descriptor for microseconds; queueing
        // would let the flood starve the clients already being served.
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            refusals.note(&format_args!("max_connections={cap}"));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = match make_service.call(addr).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let phase = phase_rx.clone();
        tokio::spawn(connection(stream, service, limits.clone(), phase, permit));
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = phase_tx.send(DRAINING);
    // Every permit back means every connection has ended.
    let everyone = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, permits.acquire_many(everyone))
        .await
        .is_err()
    {
        tracing::warn!("grace period over: closing remaining connections");
        let _ = phase_tx.send(CLOSING);
    }
    Ok(())
}

/// Raises the soft open-files limit to the hard one; returns the limit in force.
// `rlim_t` is u64 on Linux and macOS, not on every Unix.
#[allow(clippy::useless_conversion)]
pub fn raise_fd_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct given.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return 1024;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX)
    }
    #[cfg(not(unix))]
    {
        u64::MAX
    }
}

/// A warning at most every 10 s, with how many times it happened meanwhile:
/// a flood must not become a flood of log lines.
struct Warner {
    message: &'static str,
    last: Option<Instant>,
    suppressed: u64,
}

impl Warner {
    fn new(message: &'static str) -> Self {
        Warner {
            message,
            last: None,
            suppressed: 0,
        }
    }

    fn note(&mut self, detail: &dyn std::fmt::Display) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now - last < Duration::from_secs(10))
        {
            self.suppressed += 1;
            return;
        }
        tracing::warn!(detail = %detail, since_last_warning = self.suppressed, "{}", self.message);
        self.last = Some(now);
        self.suppressed = 0;
    }
}

async fn connection<S>(
    stream: TcpStream,
    service: S,
    limits: ServerLimits,
    mut phase: watch::Receiver<u8>,
    _permit: OwnedSemaphorePermit,
) where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(TrackedIo::new(stream, activity.clone()));
    let body_limit = limits.body_read_timeout();
    let for_requests = activity.clone();
    let hyper_service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (request, in_flight) = InFlight::start(&for_requests, request, body_limit);
        let mut service = service.clone();
        async move {
            let response = match service.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(in_flight.until_written(response))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, hyper_service);
    let mut conn = pin!(conn);
    let mut draining = false;
    loop {
        let wake = activity
            .wait_limit(&limits)
            .unwrap_or_else(|| Instant::now() + limits.header_read_timeout());
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                break;
            }
            // The limit is computed again on the next turn.
            () = activity.head_arrived.notified() => {}
            () = tokio::time::sleep_until(wake) => {
                if activity.wait_limit(&limits).is_some_and(|limit| limit <= Instant::now()) {
                    break;
                }
            }
            changed = phase.changed() => {
                if changed.is_err() || *phase.borrow_and_update() == CLOSING {
                    break;
                }
                if !draining {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The 408 of a body that did not arrive in time; the connection is closed
/// since the rest of the body would be read as the next request.
pub fn request_timeout() -> axum::response::Response {
    let mut response =
        AppError::one(StatusCode::REQUEST_TIMEOUT, MSG_REQUEST_TIMEOUT).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
