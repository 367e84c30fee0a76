//! The request line: one per request, by far the most frequent log line,
//! formatted here instead of by `tracing-subscriber`, whose field visitors
//! and timestamp formatting were most of the edge middleware's own cost.
//! The line has exactly the shape the subscriber gives every other line
//! (text or JSON, `LOG_FORMAT`), obeys the same `LOG_LEVEL` filter (target
//! `http`, level INFO) and goes to the same `BatchWriter`.

use std::cell::{Cell, RefCell};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, Timelike};

use super::BatchWriter;

/// What one request's line says.
pub struct RequestLine<'a> {
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub latency_us: u64,
    pub request_id: &'a str,
}

struct Sink {
    writer: BatchWriter,
    json: bool,
}

static SINK: OnceLock<Sink> = OnceLock::new();

thread_local! {
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
    /// The formatted `YYYY-MM-DDTHH:MM:SS` of the last second seen.
    static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
}

/// Called once by `logging::init`, where the writer and the format are known.
pub(super) fn install(writer: BatchWriter, json: bool) {
    let _ = SINK.set(Sink { writer, json });
}

/// Logs one request, if `LOG_LEVEL` lets `http` INFO lines through.
pub fn log_request(line: &RequestLine) {
    if !tracing::enabled!(target: "http", tracing::Level::INFO) {
        return;
    }
    let Some(sink) = SINK.get() else {
        // No writer installed (a test, or the library used by another
        // program): through whatever subscriber there is.
        tracing::info!(
            target: "http",
            method = %line.method,
            route = line.route,
            status = line.status,
            latency_us = line.latency_us,
            request_id = line.request_id,
            "request"
        );
        return;
    };
    LINE.with_borrow_mut(|buf| {
        buf.clear();
        format_line(buf, SystemTime::now(), line, sink.json);
        sink.writer.append(buf);
    });
}

fn format_line(buf: &mut Vec<u8>, now: SystemTime, line: &RequestLine, json: bool) {
    if json {
        buf.extend_from_slice(b"{\"timestamp\":\"");
        push_timestamp(buf, now);
        buf.extend_from_slice(b"\",\"level\":\"INFO\",\"message\":\"request\",\"method\":\"");
        push_escaped(buf, line.method);
        buf.extend_from_slice(b"\",\"route\":\"");
        push_escaped(buf, line.route);
        buf.extend_from_slice(b"\",\"status\":");
        push_u64(buf, u64::from(line.status));
        buf.extend_from_slice(b",\"latency_us\":");
        push_u64(buf, line.latency_us);
        buf.extend_from_slice(b",\"request_id\":\"");
        push_escaped(buf, line.request_id);
        buf.extend_from_slice(b"\",\"target\":\"http\"}\n");
    } else {
        push_timestamp(buf, now);
        buf.extend_from_slice(b"  INFO http: request method=");
        push_escaped(buf, line.method);
        buf.extend_from_slice(b" route=\"");
        push_escaped(buf, line.route);
        buf.extend_from_slice(b"\" status=");
        push_u64(buf, u64::from(line.status));
        buf.extend_from_slice(b" latency_us=");
        push_u64(buf, line.latency_us);
        buf.extend_from_slice(b" request_id=\"");
        push_escaped(buf, line.request_id);
        buf.extend_from_slice(b"\"\n");
    }
}

/// RFC 3339 in UTC with microseconds, as the subscriber writes it.
fn push_timestamp(buf: &mut Vec<u8>, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (cached, mut text) = SECOND.get();
    if cached != secs {
        let Some(time) = i64::try_from(secs)
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
        else {
            buf.extend_from_slice(b"1970-01-01T00:00:00.000000Z");
            return;
        };
        let mut at = 0;
        for (value, width, separator) in [
            (time.year().unsigned_abs(), 4, b'-'),
            (time.month(), 2, b'-'),
            (time.day(), 2, b'T'),
            (time.hour(), 2, b':'),
            (time.minute(), 2, b':'),
            (time.second(), 2, 0),
        ] {
            write_digits(&mut text[at..at + width], value);
            at += width;
            if separator != 0 {
                text[at] = separator;
                at += 1;
            }
        }
        SECOND.set((secs, text));
    }
    buf.extend_from_slice(&text);
    let mut micros = [b'.', 0, 0, 0, 0, 0, 0, b'Z'];
    write_digits(&mut micros[1..7], since.subsec_micros());
    buf.extend_from_slice(&micros);
}

/// `value` in decimal, zero-padded to the slice's width.
fn write_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn push_u64(buf: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[start..]);
}

/// The text inside quotes, JSON-escaped. Route templates, request ids (a
/// checked alphabet) and method tokens never need it; it is there so that
/// no value can ever break a line.
fn push_escaped(buf: &mut Vec<u8>, text: &str) {
    for &byte in text.as_bytes() {
        match byte {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(byte >> 4)]);
                buf.push(HEX[usize::from(byte & 0xf)]);
            }
            _ => buf.push(byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    const LINE: RequestLine<'static> = RequestLine {
        method: "GET",
        route: "/api/apartamentos/{id}",
        status: 404,
        latency_us: 1234,
        request_id: "f6690bf7-a1e26",
    };

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// What `tracing-subscriber` itself writes for the same event, with the
    /// settings of `logging::init`.
    fn from_subscriber(json: bool) -> String {
        let out = Captured::default();
        let builder = tracing_subscriber::fmt().with_writer(out.clone());
        let emit = || {
            tracing::info!(
                target: "http",
                method = %LINE.method,
                route = LINE.route,
                status = LINE.status,
                latency_us = LINE.latency_us,
                request_id = LINE.request_id,
                "request"
            );
        };
        if json {
            tracing::subscriber::with_default(builder.json().flatten_event(true).finish(), emit);
        } else {
            tracing::subscriber::with_default(builder.with_ansi(false).finish(), emit);
        }
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    fn ours(json: bool) -> String {
        let mut buf = Vec::new();
        format_line(&mut buf, SystemTime::now(), &LINE, json);
        String::from_utf8(buf).unwrap()
    }

    /// The timestamp is the first 27 characters of a text line.
    fn without_timestamp(line: &str, json: bool) -> String {
        if json {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            let stamp = value["timestamp"].take();
            assert_eq!(stamp.as_str().unwrap().len(), 27, "{line}");
            value.to_string()
        } else {
            line[27..].to_string()
        }
    }

    #[test]
    fn the_text_line_is_the_subscribers() {
        let theirs = from_subscriber(false);
        let ours = ours(false);
        assert_eq!(
            without_timestamp(&ours, false),
            without_timestamp(&theirs, false)
        );
        assert!(ours.ends_with('\n') && ours.lines().count() == 1);
    }

    #[test]
    fn the_json_line_is_the_subscribers_with_its_key_order() {
        let theirs = from_subscriber(true);
        let ours = ours(true);
        assert_eq!(
            without_timestamp(&ours, true),
            without_timestamp(&theirs, true)
        );
        // Same keys in the same order, not only the same object.
        let keys = |line: &str| -> Vec<String> {
            line.split("\":")
                .filter_map(|part| part.rsplit('"').next().map(str::to_string))
                .collect()
        };
        assert_eq!(keys(&ours), keys(&theirs));
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        for nanos in [
            0u64,
            1_780_000_000_123_456_789,
            1_780_000_059_999_999_000,
            4_102_444_800_000_001_000,
        ] {
            let at = UNIX_EPOCH + Duration::from_nanos(nanos);
            let mut buf = Vec::new();
            push_timestamp(&mut buf, at);
            let expected = DateTime::<chrono::Utc>::from(at)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            assert_eq!(String::from_utf8(buf).unwrap(), expected);
        }
    }

    #[test]
    fn values_cannot_break_the_line() {
        let line = RequestLine {
            method: "GET",
            route: "a\"b\\c\nd",
            ..LINE
        };
        let mut buf = Vec::new();
        format_line(&mut buf, SystemTime::now(), &line, true);
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text.lines().count(), 1);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["route"], "a\"b\\c\nd");
    }

    #[test]
    fn numbers_are_written_in_full() {
        for n in [0u64, 7, 10, 1234, u64::MAX] {
            let mut buf = Vec::new();
            push_u64(&mut buf, n);
            assert_eq!(String::from_utf8(buf).unwrap(), n.to_string());
        }
    }
}
