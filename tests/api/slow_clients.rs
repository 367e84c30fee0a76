//! Slow clients over raw TCP against `stay_sidekick::serve` (the production
//! accept loop, not the harness's `axum::serve`): headers that never finish,
//! bodies that stall or trickle, idle keep-alive connections, the cap on
//! connections. Limits are shortened to 1-3 s.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stay_sidekick::config::ServerLimits;
use stay_sidekick::store::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{PASSWORD, TestDb, csrf_from, seed_user, settings};

const MSG_TIMEOUT: &str = "La petición tardó demasiado en llegar.";

/// The real server through `stay_sidekick::serve`, stopped on drop.
struct Server {
    addr: SocketAddr,
    state: stay_sidekick::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _db: TestDb,
}

/// Grace period of the servers started here.
const GRACE: Duration = Duration::from_secs(2);

async fn start(edit: impl FnOnce(&mut ServerLimits)) -> Server {
    stay_sidekick::integrations::http::install_crypto_provider();
    let db = TestDb::sqlite();
    let mut config = settings(db.url());
    edit(&mut config.server);
    let state = stay_sidekick::build_state(config).await.expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(stay_sidekick::serve(
        listener,
        state.clone(),
        async move {
            let _ = stopped.await;
        },
        GRACE,
    ));
    Server {
        addr,
        state,
        stop: Some(stop),
        task,
        _db: db,
    }
}

impl Server {
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.expect("connect")
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Waits for the server to close `stream`: `Some(elapsed)` on EOF or reset,
/// `None` if it is still open after `within`. Any bytes sent are ignored.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    loop {
        let left = within.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut sink)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// One HTTP/1.1 response read off `stream`: status, lower-cased head, body.
async fn read_response(stream: &mut TcpStream) -> (u16, String, String) {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().expect("length"));
                if raw.len() >= end + 4 + length {
                    let body = String::from_utf8_lossy(&raw[end + 4..end + 4 + length]).into();
                    let status = head[9..12].parse().expect("status");
                    return (status, head, body);
                }
            }
            let n = stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "closed before a whole response: {raw:?}");
            raw.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("a response in time")
}

async fn health_on(stream: &mut TcpStream) -> u16 {
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    read_response(stream).await.0
}

fn timeout_envelope(status: u16, head: &str, body: &str) {
    assert_eq!(status, 408, "{head}\n{body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let body: Value = serde_json::from_str(body).expect("json");
    assert_eq!(body, json!({"ok": false, "errors": [MSG_TIMEOUT]}));
}

#[tokio::test]
async fn headers_trickled_a_line_at_a_time_are_cut_at_the_header_timeout() {
    let server = start(|limits| {
        limits.header_read_timeout_seconds = 1;
        limits.keepalive_idle_seconds = 30;
    })
    .await;
    let mut stream = server.connect().await;
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    // A header line every 200 ms must not keep the connection alive.
    let mut cut = None;
    for n in 0..25 {
        let line = format!("X-Slow-{n}: a\r\n");
        if stream.write_all(line.as_bytes()).await.is_err() {
            cut = Some(started.elapsed());
            break;
        }
        if let Some(after) = closed_within(&mut stream, Duration::from_millis(200)).await {
            cut = Some(started.elapsed().max(after));
            break;
        }
    }
    let cut = cut.expect("the connection was still open after 5 s of trickled headers");
    assert!(cut >= Duration::from_millis(800), "cut too early: {cut:?}");
    assert!(cut < Duration::from_secs(3), "cut too late: {cut:?}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_at_the_header_timeout() {
    let server = start(|limits| {
        limits.header_read_timeout_seconds = 1;
        limits.keepalive_idle_seconds = 30;
    })
    .await;
    let mut stream = server.connect().await;
    let closed = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(closed >= Duration::from_millis(800), "{closed:?}");
    assert!(closed < Duration::from_secs(3), "{closed:?}");
}

/// A connection that has sent a login's head (valid CSRF pair) and the
/// first 8 bytes of a body of `length`.
async fn login_started(server: &Server, length: usize) -> TcpStream {
    let client = reqwest::Client::new();
    let (token, cookie) = csrf_from(&client, &server.base(), None).await;
    let mut stream = server.connect().await;
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         X-CSRF-Token: {token}\r\nCookie: {cookie}\r\nContent-Length: {length}\r\n\r\n{{\"email\""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// A login whose declared body never arrives whole (CSRF valid, so the
/// handler reads the body).
async fn stalled_login(server: &Server, trickle: bool) -> (u16, String, String, Duration) {
    let mut stream = login_started(server, 200).await;
    let started = Instant::now();
    if trickle {
        // One byte every 100 ms: never a pause long enough for a per-chunk timer.
        for _ in 0..50 {
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut peek = [0u8; 1];
            // The answer (or a close) has come: stop sending.
            if let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(1), stream.peek(&mut peek)).await
            {
                break;
            }
        }
    }
    let (status, head, body) = read_response(&mut stream).await;
    (status, head, body, started.elapsed())
}

#[tokio::test]
async fn a_stalled_json_body_gets_a_408_envelope() {
    let server = start(|limits| limits.body_read_timeout_seconds = 1).await;
    let (status, head, body, elapsed) = stalled_login(&server, false).await;
    timeout_envelope(status, &head, &body);
    assert!(elapsed >= Duration::from_millis(800), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn a_body_trickled_a_byte_at_a_time_gets_a_408_at_the_body_timeout() {
    let server = start(|limits| limits.body_read_timeout_seconds = 1).await;
    let (status, head, body, elapsed) = stalled_login(&server, true).await;
    timeout_envelope(status, &head, &body);
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn a_stalled_multipart_upload_gets_a_408_envelope() {
    let server = start(|limits| limits.body_read_timeout_seconds = 1).await;
    seed_user(&server.state.store, "admin@example.com", Role::Admin, false).await;
    let client = reqwest::Client::new();
    let (csrf, cookie) = csrf_from(&client, &server.base(), None).await;
    let login: Value = client
        .post(format!("{}/api/auth/login", server.base()))
        .header("X-CSRF-Token", csrf)
        .header("Cookie", cookie)
        .json(&json!({"email": "admin@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("token");
    let mut stream = server.connect().await;
    let head = format!(
        "POST /api/apartamentos/importacion/preview HTTP/1.1\r\nHost: t\r\n\
         Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n\
         Content-Length: 5000\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"a.xlsx\"\r\n\r\nPK"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    timeout_envelope(status, &head, &body);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_at_the_idle_limit_not_the_header_limit() {
    let server = start(|limits| {
        limits.header_read_timeout_seconds = 1;
        limits.keepalive_idle_seconds = 3;
    })
    .await;
    let mut stream = server.connect().await;
    assert_eq!(health_on(&mut stream).await, 200);
    // Idle longer than the header limit: still served.
    assert!(
        closed_within(&mut stream, Duration::from_millis(1800))
            .await
            .is_none(),
        "an idle connection was cut at the header limit"
    );
    assert_eq!(health_on(&mut stream).await, 200);
    let closed = closed_within(&mut stream, Duration::from_secs(6))
        .await
        .expect("the idle connection was never closed");
    assert!(closed >= Duration::from_millis(2500), "{closed:?}");
    assert!(closed < Duration::from_millis(4500), "{closed:?}");
}

#[tokio::test]
async fn a_head_started_on_an_idle_kept_alive_connection_gets_the_header_limit() {
    let server = start(|limits| {
        limits.header_read_timeout_seconds = 1;
        limits.keepalive_idle_seconds = 30;
    })
    .await;
    let mut stream = server.connect().await;
    assert_eq!(health_on(&mut stream).await, 200);
    // Past the first header limit, so the timer already waits for the idle one.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\n")
        .await
        .unwrap();
    let closed = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("a half-sent head on a kept-alive connection got the idle limit");
    assert!(closed >= Duration::from_millis(800), "{closed:?}");
    assert!(closed < Duration::from_secs(2), "{closed:?}");
}

#[tokio::test]
async fn beyond_the_cap_new_connections_are_closed_while_open_ones_answer() {
    let server = start(|limits| {
        limits.max_connections = Some(3);
        limits.header_read_timeout_seconds = 30;
        limits.keepalive_idle_seconds = 30;
    })
    .await;
    let mut served = server.connect().await;
    assert_eq!(health_on(&mut served).await, 200);
    let silent = server.connect().await;
    let mut half_sent = server.connect().await;
    half_sent
        .write_all(b"GET /api/health HTTP/1.1\r\n")
        .await
        .unwrap();
    // Let the accept loop take both before the one over the cap.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut refused = server.connect().await;
    let closed = closed_within(&mut refused, Duration::from_secs(2)).await;
    assert!(closed.is_some(), "a connection over the cap was kept open");
    assert_eq!(health_on(&mut served).await, 200);

    // A freed place is taken again.
    drop(silent);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut next = server.connect().await;
    assert_eq!(health_on(&mut next).await, 200);
    drop(half_sent);
}

const LOGIN_REST: &str = r#":"nobody@example.com","password":"wrong-password-1"}"#;

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_refuses_new_connections() {
    let mut server = start(|limits| limits.body_read_timeout_seconds = 10).await;
    let mut stream = login_started(&server, 8 + LOGIN_REST.len()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.shut_down();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "a new connection was accepted while shutting down"
    );
    stream.write_all(LOGIN_REST.as_bytes()).await.unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 401, "{head}\n{body}");
    let ended = tokio::time::timeout(Duration::from_secs(1), &mut server.task).await;
    assert!(
        matches!(ended, Ok(Ok(Ok(())))),
        "serve did not end once its last request was answered"
    );
}

#[tokio::test]
async fn after_the_grace_period_a_stalled_request_is_closed_and_serve_returns() {
    let mut server = start(|limits| limits.body_read_timeout_seconds = 30).await;
    let mut stream = login_started(&server, 100).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.shut_down();
    let ended = tokio::time::timeout(Duration::from_secs(5), &mut server.task).await;
    assert!(matches!(ended, Ok(Ok(Ok(())))), "serve did not return");
    let took = started.elapsed();
    assert!(took >= GRACE - Duration::from_millis(100), "{took:?}");
    assert!(took < GRACE + Duration::from_secs(1), "{took:?}");
    assert!(
        closed_within(&mut stream, Duration::from_secs(1))
            .await
            .is_some(),
        "the stalled connection outlived the grace period"
    );
}
