//! `POST /api/heatmap/xlsx`: the original's checks in its order, and the
//! dates of spreadsheets built here (date cells, serials, text, blanks,
//! hidden sheets), plus the shared fixture when it is beside the repo.

use reqwest::multipart::Form;
use serde_json::{Value, json};

use super::sheets::{C, Upload, post, sheet};
use super::{company_users, put};
use crate::support::{TestApp, envelope};

async fn configure(app: &TestApp, admin: &str, check_in: &str, check_out: Option<&str>) {
    let saved = put(
        app,
        "/api/heatmap/config-xlsx",
        admin,
        json!({"col_fecha_checkin": check_in, "col_fecha_checkout": check_out}),
    )
    .await;
    assert_eq!(saved.status(), 200);
}

async fn refused(app: &TestApp, token: &str, upload: Upload, status: u16, message: &str) {
    let response = post(app, token, upload).await;
    assert_eq!(response.status(), status, "{message}");
    assert_eq!(envelope(response).await, vec![message.to_string()]);
}

async fn checks_run_in_the_original_order(app: TestApp) {
    let (admin, op, company) = company_users(&app).await;
    let no_file = Upload {
        checkins: None,
        desde: None,
        ..Upload::default()
    };
    refused(
        &app,
        &op,
        no_file,
        400,
        "Se esperaba el campo 'checkins' con un archivo .xlsx.",
    )
    .await;
    // A `checkins` text field is no file.
    let response = app
        .client
        .post(app.url("/api/heatmap/xlsx"))
        .bearer_auth(&op)
        .multipart(
            Form::new()
                .text("checkins", "x")
                .text("desde", "2026-06-01"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // Not even multipart.
    let json = app
        .call(
            "POST",
            "/api/heatmap/xlsx",
            Some(&op),
            Some(&json!({"a": 1})),
        )
        .await;
    assert_eq!(
        envelope(json).await,
        vec!["Se esperaba el campo 'checkins' con un archivo .xlsx."]
    );

    let dates = [
        (
            None,
            Some("2026-06-30"),
            "El parámetro 'desde' es obligatorio.",
        ),
        (
            Some(""),
            Some("2026-06-30"),
            "El parámetro 'desde' es obligatorio.",
        ),
        (
            Some("1/6/2026"),
            None,
            "'desde' no es una fecha válida (formato esperado: YYYY-MM-DD).",
        ),
        (
            Some("2026-06-01"),
            None,
            "El parámetro 'hasta' es obligatorio.",
        ),
        (
            Some("2026-06-01"),
            Some("2026-13-01"),
            "'hasta' no es una fecha válida (formato esperado: YYYY-MM-DD).",
        ),
        (
            Some("2026-06-30"),
            Some("2026-06-01"),
            "'desde' debe ser anterior o igual a 'hasta'.",
        ),
        (
            Some("2026-01-01"),
            Some("2027-02-05"),
            "El rango no puede superar 400 días.",
        ),
    ];
    for (desde, hasta, message) in dates {
        let upload = Upload {
            desde,
            hasta,
            // The dates are checked before the file's name.
            checkins: Some(("entradas.csv", Vec::new())),
            ..Upload::default()
        };
        refused(&app, &op, upload, 422, message).await;
    }
    let files = [
        (
            Upload {
                checkins: Some(("entradas.csv", vec![1])),
                ..Upload::default()
            },
            "El archivo 'checkins' debe ser .xlsx.",
        ),
        (
            Upload {
                checkins: Some(("", vec![1])),
                ..Upload::default()
            },
            "El archivo 'checkins' debe ser .xlsx.",
        ),
        (
            Upload {
                checkins: Some(("ENTRADAS.XLSX", Vec::new())),
                ..Upload::default()
            },
            "El archivo 'checkins' está vacío.",
        ),
        (
            Upload {
                checkouts: Some(("salidas.txt", Vec::new())),
                ..Upload::default()
            },
            "El archivo 'checkouts' debe ser .xlsx.",
        ),
        (
            Upload {
                checkouts: Some(("salidas.xlsx", Vec::new())),
                ..Upload::default()
            },
            "El archivo 'checkouts' está vacío.",
        ),
    ];
    for (upload, message) in files {
        refused(&app, &op, upload, 400, message).await;
    }
    refused(&app, &op, Upload::default(), 422, "Configura la columna de fecha de check-in en el perfil de empresa antes de usar esta herramienta.").await;
    configure(&app, &admin, "C", None).await;
    // A checkouts part without a file name is ignored...
    let ignored = Upload {
        checkouts: Some(("", b"whatever".to_vec())),
        ..Upload::default()
    };
    assert_eq!(post(&app, &op, ignored).await.status(), 200);
    // ...one with a file needs its column.
    let with_out = Upload {
        checkouts: Some(("salidas.xlsx", sheet(3, &[C::Date("2026-06-05")], false))),
        ..Upload::default()
    };
    refused(&app, &op, with_out, 422, "Configura la columna de fecha de check-out en el perfil de empresa antes de usar el fichero de salidas.").await;

    // Parse errors, each a 422 with one message.
    let not_zip = Upload {
        checkins: Some(("a.xlsx", b"not a zip".to_vec())),
        ..Upload::default()
    };
    refused(
        &app,
        &op,
        not_zip,
        422,
        "No se pudo abrir el archivo Excel. Comprueba que el fichero no está dañado.",
    )
    .await;
    let header_only = Upload {
        checkins: Some(("a.xlsx", sheet(2, &[], false))),
        ..Upload::default()
    };
    refused(
        &app,
        &op,
        header_only,
        422,
        "El archivo debe tener al menos dos filas (cabecera + datos).",
    )
    .await;
    // A stored letter that names no column (the settings accept any letters).
    let mut settings = app
        .store()
        .company(company)
        .await
        .unwrap()
        .unwrap()
        .settings;
    settings["heatmap"]["col_fecha_checkin"] = json!(" Ñ");
    app.store()
        .set_company_setting(company, "heatmap", settings["heatmap"].clone())
        .await
        .unwrap();
    refused(
        &app,
        &op,
        Upload::default(),
        422,
        "' Ñ' no es una letra de columna válida (ej. A, B, C...).",
    )
    .await;
}

fn counts(body: &Value) -> Vec<(String, u64, u64, bool, u64)> {
    body["dias"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["checkins"] != 0 || d["checkouts"] != 0)
        .map(|d| {
            (
                d["fecha"].as_str().unwrap().to_string(),
                d["checkins"].as_u64().unwrap(),
                d["checkouts"].as_u64().unwrap(),
                d["mesAdyacente"].as_bool().unwrap(),
                d["nivel"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn dates_are_read_by_kind_and_dropped_rows_counted(app: TestApp) {
    let (admin, op, company) = company_users(&app).await;
    configure(&app, &admin, "c", Some(" AA")).await;
    put(
        &app,
        "/api/heatmap/umbrales",
        &admin,
        json!({"nivel1": 1, "nivel2": 2, "nivel3": 3}),
    )
    .await;
    let check_ins = sheet(
        2,
        &[
            C::Date("2026-06-03"),
            C::Number(46176.0),    // serial of 2026-06-03
            C::Text("2026-06-05"), // ISO, not 6 May
            C::Text("03/06/26"),   // day first
            C::Text("06/15/2026"), // month first: the only valid reading
            C::Text("2026-06-03T10:00"),
            C::Blank, // a blank row between data rows
            C::Text("31/02/2026"),
            C::Text("=HOY()"),
            C::Bool(true),
            C::Time(15, 0),
            C::Number(666_111_444.0),
            C::Text("   "),
            C::Date("2026-05-31"), // before the grid: read, not shown
            C::Text("2026-07-20"), // outside the grid: read, not shown
        ],
        true,
    );
    let check_outs = sheet(
        26,
        &[C::Date("2026-06-05"), C::Text("5.6.2026"), C::Blank],
        false,
    );
    let upload = Upload {
        checkins: Some(("entradas.xlsx", check_ins)),
        checkouts: Some(("salidas.xlsx", check_outs)),
        desde: Some("2026-06-01"),
        hasta: Some("2026-06-30"),
    };
    let response = post(&app, &op, upload).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ok"], true);
    let days = body["dias"].as_array().unwrap();
    assert_eq!(days.len(), 35, "2026-06-01 (Monday) to 2026-07-05");
    assert_eq!(days[0]["fecha"], "2026-06-01");
    assert_eq!(days[34]["fecha"], "2026-07-05");
    let keys: Vec<&String> = days[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["checkins", "checkouts", "fecha", "mesAdyacente", "nivel"]
    );
    assert_eq!(
        counts(&body),
        vec![
            ("2026-06-03".into(), 4, 0, false, 3),
            ("2026-06-05".into(), 1, 2, false, 2),
            ("2026-06-15".into(), 1, 0, false, 0),
        ],
        "the hidden sheet's dates are not read; 2026-05-31 is before the grid"
    );
    assert_eq!(
        body["warnings"],
        json!([
            "7 filas descartadas por fecha inválida o celda vacía",
            "1 filas descartadas por fecha inválida o celda vacía"
        ])
    );
    let logs = app.store().sync_logs(company, 1).await.unwrap();
    assert_eq!(
        logs[0],
        (
            "xlsx".to_string(),
            "exito".to_string(),
            Some(3),
            Some("Rango: 2026-06-01 — 2026-06-30".to_string())
        )
    );

    // Padding days carry their counts; no warnings key when nothing was dropped.
    let upload = Upload {
        checkins: Some((
            "e.xlsx",
            sheet(2, &[C::Date("2026-05-31"), C::Date("2026-06-01")], false),
        )),
        desde: Some("20260601"),
        hasta: Some("2026-W23-1"),
        ..Upload::default()
    };
    let body: Value = post(&app, &op, upload).await.json().await.unwrap();
    assert_eq!(body.get("warnings"), None);
    assert_eq!(body["dias"].as_array().unwrap().len(), 7);
    assert_eq!(counts(&body), vec![("2026-06-01".into(), 1, 0, false, 0)]);
}

/// The original's one-day export, when `../shared` is beside the repo: with
/// date cells in C and D the counts are the original's.
async fn the_shared_fixture_counts_as_in_the_original(app: TestApp) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/junio-1-dia-mock.xlsx");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("{} not found: fixture check skipped", path.display());
        return;
    };
    let (admin, op, _) = company_users(&app).await;
    configure(&app, &admin, "C", Some("D")).await;
    let upload = Upload {
        checkins: Some(("junio.xlsx", bytes.clone())),
        checkouts: Some(("junio.xlsx", bytes.clone())),
        ..Upload::default()
    };
    let body: Value = post(&app, &op, upload).await.json().await.unwrap();
    assert_eq!(
        counts(&body),
        vec![
            ("2026-06-03".into(), 11, 0, false, 1),
            ("2026-06-05".into(), 0, 2, false, 0),
            ("2026-06-06".into(), 0, 5, false, 0),
            ("2026-06-09".into(), 0, 2, false, 0),
            ("2026-06-10".into(), 0, 2, false, 0),
        ]
    );
    assert_eq!(body.get("warnings"), None);
    // Column S holds names: every row dropped and counted.
    configure(&app, &admin, "S", None).await;
    let upload = Upload {
        checkins: Some(("junio.xlsx", bytes)),
        ..Upload::default()
    };
    let body: Value = post(&app, &op, upload).await.json().await.unwrap();
    assert_eq!(counts(&body), vec![]);
    assert_eq!(
        body["warnings"],
        json!(["11 filas descartadas por fecha inválida o celda vacía"])
    );
}

on_both_databases!(@with crate::heatmap::app_on;
    checks_run_in_the_original_order,
    dates_are_read_by_kind_and_dropped_rows_counted,
    the_shared_fixture_counts_as_in_the_original,
);
