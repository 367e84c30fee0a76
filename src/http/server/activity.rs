//! What each connection's timer watches: the socket (when a request head
//! starts), the requests in flight (until their response body is written),
//! and the request body (cut at its deadline).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{Request, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::config::ServerLimits;

/// What the connection's timer needs to know, shared by the socket reader,
/// the request service and the request body.
pub(super) struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    served: AtomicBool,
    /// Bytes of a request head arrived while no request was in flight.
    head_started: AtomicBool,
    /// Milliseconds after `opened` when the current wait began.
    since_ms: AtomicU64,
    body_timed_out: AtomicBool,
    /// Woken when a head starts, whose limit may come before the idle one.
    pub(super) head_arrived: Notify,
}

impl Activity {
    pub(super) fn new() -> Self {
        Activity {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            head_started: AtomicBool::new(false),
            since_ms: AtomicU64::new(0),
            body_timed_out: AtomicBool::new(false),
            head_arrived: Notify::new(),
        }
    }

    fn mark(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(elapsed, Ordering::Relaxed);
    }

    /// When the connection is to be closed, or `None` while a request is in
    /// flight (its body has a timer of its own). A new connection gets the
    /// header limit too: connecting and sending nothing is the cheapest attack.
    pub(super) fn wait_limit(&self, limits: &ServerLimits) -> Option<Instant> {
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
pub(super) struct InFlight(Arc<Activity>);

impl InFlight {
    /// Counts `request` in flight; its body gets `limit` to arrive.
    pub(super) fn start(
        activity: &Arc<Activity>,
        request: Request<Incoming>,
        limit: Duration,
    ) -> (Request<Body>, InFlight) {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.head_started.store(false, Ordering::Relaxed);
        let clock = BodyClock(activity.clone());
        let mut request = request.map(|body| {
            Body::new(TimedBody {
                inner: body,
                limit,
                clock: clock.clone(),
                started: None,
                deadline: None,
            })
        });
        request.extensions_mut().insert(clock);
        (request, InFlight(activity.clone()))
    }

    /// Keeps the request in flight until `response`'s body is written.
    pub(super) fn until_written(self, response: Response<Body>) -> Response<GuardedBody> {
        response.map(|inner| GuardedBody {
            inner,
            _guard: self,
        })
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
pub(super) struct GuardedBody {
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
pub(super) struct TrackedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl TrackedIo {
    pub(super) fn new(inner: TcpStream, activity: Arc<Activity>) -> Self {
        TrackedIo { inner, activity }
    }
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
            activity.head_arrived.notify_one();
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
