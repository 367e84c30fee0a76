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

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::Service;

use crate::config::ServerLimits;
use crate::http::error::{AppError, MSG_REQUEST_TIMEOUT};

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
    let io = TokioIo::new(TrackedIo {
        inner: stream,
        activity: activity.clone(),
    });
    let body_limit = limits.body_read_timeout();
    let for_requests = activity.clone();
    let hyper_service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let guard = InFlight::start(for_requests.clone());
        let clock = BodyClock(for_requests.clone());
        let mut request = request.map(|body| {
            Body::new(TimedBody {
                inner: body,
                limit: body_limit,
                clock: clock.clone(),
                started: None,
                deadline: None,
            })
        });
        request.extensions_mut().insert(clock);
        let mut service = service.clone();
        async move {
            let response = match service.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|inner| GuardedBody {
                inner,
                _guard: guard,
            }))
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

/// What the connection's timer needs to know, shared by the socket reader,
/// the request service and the request body.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    served: AtomicBool,
    /// Bytes of a request head arrived while no request was in flight.
    head_started: AtomicBool,
    /// Milliseconds after `opened` when the current wait began.
    since_ms: AtomicU64,
    body_timed_out: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Activity {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            head_started: AtomicBool::new(false),
            since_ms: AtomicU64::new(0),
            body_timed_out: AtomicBool::new(false),
        }
    }

    fn mark(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(elapsed, Ordering::Relaxed);
    }

    /// When the connection is to be closed, or `None` while a request is in
    /// flight (its body has a timer of its own). A new connection gets the
    /// header limit too: connecting and sending nothing is the cheapest attack.
    fn wait_limit(&self, limits: &ServerLimits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let since = self.opened + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        let waiting_for_head =
            self.head_started.load(Ordering::Relaxed) || !self.served.load(Ordering::Relaxed);
        Some(if waiting_for_head {
            since + limits.header_read_timeout()
        } else {
            since + limits.keepalive_idle()
        })
    }
}

/// Counts a request in flight until its response body is done or dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.head_started.store(false, Ordering::Relaxed);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.mark();
        self.0.served.store(true, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// In the request's extensions: tells the edge middleware the body was too slow.
#[derive(Clone)]
pub struct BodyClock(Arc<Activity>);

impl BodyClock {
    /// The body's time ran out (once per timeout).
    pub fn fired(&self) -> bool {
        self.0.body_timed_out.swap(false, Ordering::Relaxed)
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

#[derive(Debug, thiserror::Error)]
#[error("request body read timed out")]
struct BodyTimeout;

/// The request body, cut when it has not arrived whole `limit` after it was
/// first read: a per-chunk timer would let 1 byte a second through.
struct TimedBody {
    inner: Incoming,
    limit: Duration,
    clock: BodyClock,
    started: Option<Instant>,
    /// Made only when the body is not already buffered.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let started = *this.started.get_or_insert_with(Instant::now);
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|result| {
                result
                    .map(|frame| frame.map_data(unpin_small))
                    .map_err(Into::into)
            }));
        }
        let limit = this.limit;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(started + limit)));
        if deadline.as_mut().poll(cx).is_ready() {
            this.clock.0.body_timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(BodyTimeout.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A small chunk copied out of hyper's read buffer: shared, that buffer
/// (8 KiB or more) cannot be reused, so a body trickled a byte at a time
/// would hold a new one per byte until the body ends (measured: 1 GB for
/// 5,000 clients sending a byte a second for 30 s).
fn unpin_small(data: Bytes) -> Bytes {
    if data.len() < 4096 {
        Bytes::copy_from_slice(&data)
    } else {
        data
    }
}

/// The response body, holding the request's in-flight count until written.
struct GuardedBody {
    inner: Body,
    _guard: InFlight,
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, noting when the first bytes of a request head arrive.
struct TrackedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let activity = &this.activity;
        if buf.filled().len() > before
            && activity.in_flight.load(Ordering::Relaxed) == 0
            && !activity.head_started.swap(true, Ordering::Relaxed)
        {
            activity.mark();
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_chunks_are_copied_out_of_the_read_buffer_and_large_ones_shared() {
        let buffer = Bytes::from(vec![7u8; 16_384]);
        let small = buffer.slice(0..1);
        assert_ne!(unpin_small(small.clone()).as_ptr(), small.as_ptr());
        let large = buffer.slice(0..8192);
        assert_eq!(unpin_small(large.clone()).as_ptr(), large.as_ptr());
    }
}
