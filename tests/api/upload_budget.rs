//! Upload bodies share one memory budget (`UPLOAD_MEMORY_BYTES`): an upload
//! that would pass it waits until another's bytes are given back.

use std::time::Duration;

use axum::routing::post;
use reqwest::multipart::{Form, Part};
use stay_sidekick::http::extract::{UploadRules, XlsxUpload};
use tokio::io::AsyncWriteExt;

use crate::support::{TestApp, TestDb};

struct Probe;

impl UploadRules for Probe {
    const FIELD: &'static str = "file";
    const MSG_MISSING: &'static str = "falta el archivo";
    const MSG_NOT_XLSX: &'static str = "no es xlsx";
    const MSG_EMPTY: Option<&'static str> = None;
}

#[tokio::test]
async fn an_upload_waits_while_others_hold_the_memory_budget() {
    let db = TestDb::sqlite();
    let mut settings = crate::support::settings(db.url());
    settings.max_upload_bytes = 64 * 1024;
    settings.uploads.upload_memory_bytes = 64 * 1024;
    let state = stay_sidekick::build_state(settings).await.unwrap();
    let router = axum::Router::new()
        .route(
            "/probe/upload",
            post(|XlsxUpload(bytes, _): XlsxUpload<Probe>| async move { bytes.len().to_string() }),
        )
        .with_state(state.clone());
    let router = stay_sidekick::http::middleware::with_middleware(router, state.clone());
    let app = TestApp::serve_router(db, state, router).await;

    // A client declares 60 KB and sends the start of its body only.
    let boundary = "xBOUNDARYx";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let file_len = 60_000 - head.len() - tail.len();
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "POST /probe/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: 60000\r\nConnection: close\r\n\r\n{head}"
    );
    slow.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A 10 KB upload does not fit beside it: it waits.
    let upload = app
        .client
        .post(app.url("/probe/upload"))
        .multipart(Form::new().part("file", Part::bytes(vec![7u8; 10_000]).file_name("b.xlsx")))
        .send();
    let upload = tokio::spawn(upload);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!upload.is_finished(), "waits for the budget");

    // The first body ends: its bytes are read and given back with its answer.
    slow.write_all(&vec![b'a'; file_len]).await.unwrap();
    slow.write_all(tail.as_bytes()).await.unwrap();
    let response = tokio::time::timeout(Duration::from_secs(10), upload)
        .await
        .expect("served once the budget is free")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "10000");
}
