//! Log output: `tracing` lines gathered in memory and written to stderr by
//! one thread every few milliseconds.
//!
//! Why not a writer per line: a write(2) per request, or waking a writer
//! thread per line (a channel), costs a system call or a context switch on
//! every request, a large share of a fast route's time. Here a request only
//! appends its formatted line to a shared buffer under a short lock; the
//! writer thread wakes on a timer (or early when the buffer fills) and writes
//! everything gathered in one call. No line is dropped: when the writer falls
//! far behind, callers wait for room. The guard writes what is left on exit.

mod access;

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::Settings;

pub use access::{RequestLine, log_request};

/// How long a line may wait in memory before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Gathered bytes that wake the writer before its timer.
const WAKE_AT: usize = 256 * 1024;
/// Gathered bytes beyond which callers wait for the writer.
const MAX_PENDING: usize = 8 * 1024 * 1024;

struct Pending {
    bytes: Vec<u8>,
    closed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Signalled when there is much to write, or on close.
    wake_writer: Condvar,
    /// Signalled when the writer has taken the gathered bytes.
    room: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding this lock leaves only bytes behind: keep them.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Hands each event a writer that appends to the shared buffer.
#[derive(Clone)]
pub struct BatchWriter(Arc<Shared>);

/// Writes what is left and stops the writer thread when dropped.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl BatchWriter {
    /// The writer and the guard of its thread, writing to `out`.
    pub fn new(out: impl Write + Send + 'static) -> std::io::Result<(BatchWriter, LogGuard)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending {
                bytes: Vec::with_capacity(64 * 1024),
                closed: false,
            }),
            wake_writer: Condvar::new(),
            room: Condvar::new(),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("log-writer".into())
                .spawn(move || write_loop(&shared, out))?
        };
        Ok((
            BatchWriter(shared.clone()),
            LogGuard {
                shared,
                thread: Some(thread),
            },
        ))
    }
}

fn write_loop(shared: &Shared, mut out: impl Write) {
    let mut spare = Vec::with_capacity(64 * 1024);
    loop {
        let closed = {
            let mut pending = shared.lock();
            if !pending.closed && pending.bytes.len() < WAKE_AT {
                pending = shared
                    .wake_writer
                    .wait_timeout(pending, FLUSH_EVERY)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            }
            std::mem::swap(&mut pending.bytes, &mut spare);
            pending.closed
        };
        shared.room.notify_all();
        if !spare.is_empty() {
            // Nowhere to report a failing stderr; the lines are dropped then.
            let _ = out.write_all(&spare);
            let _ = out.flush();
            spare.clear();
            // A burst can grow the buffer a lot: do not keep it forever.
            spare.shrink_to(1024 * 1024);
        }
        if closed && shared.lock().bytes.is_empty() {
            return;
        }
    }
}

impl BatchWriter {
    /// Appends whole lines; waits while the writer is `MAX_PENDING` behind.
    pub fn append(&self, buf: &[u8]) {
        let shared = &self.0;
        let mut pending = shared.lock();
        while pending.bytes.len() >= MAX_PENDING && !pending.closed {
            pending = shared
                .room
                .wait(pending)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        pending.bytes.extend_from_slice(buf);
        let wake = pending.bytes.len() >= WAKE_AT || pending.closed;
        drop(pending);
        if wake {
            shared.wake_writer.notify_one();
        }
    }
}

impl Write for BatchWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = BatchWriter;
    fn make_writer(&'a self) -> BatchWriter {
        self.clone()
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake_writer.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Installs the global subscriber: `LOG_LEVEL` filter, text or JSON lines
/// (`LOG_FORMAT`) on stderr through a `BatchWriter`. Keep the guard until exit.
pub fn init(settings: &Settings) -> std::io::Result<LogGuard> {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = BatchWriter::new(std::io::stderr())?;
    access::install(writer.clone(), settings.log_format == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    if settings.log_format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.with_ansi(false).init();
    }
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test can read after the writer thread wrote to it.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_is_dropped() {
        let out = Captured::default();
        let (writer, guard) = BatchWriter::new(out.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000 {
                        writer
                            .write_all(format!("t{t} line {i}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 80_000);
        for t in 0..4 {
            let prefix = format!("t{t} line ");
            let order: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&prefix)?.parse().ok())
                .collect();
            assert_eq!(order, (0..20_000).collect::<Vec<_>>());
        }
    }

    #[test]
    fn lines_are_written_without_waiting_for_the_guard() {
        let out = Captured::default();
        let (mut writer, _guard) = BatchWriter::new(out.clone()).unwrap();
        writer.write_all(b"soon\n").unwrap();
        // Polls for up to 5 s; the timer writes it within FLUSH_EVERY.
        for _ in 0..500 {
            if out.0.lock().unwrap().as_slice() == b"soon\n" {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the line was not written while the writer was alive");
    }
}
