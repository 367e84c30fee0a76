//! Apartments spreadsheet preview and import over real HTTP (multipart), on
//! SQLite and PostgreSQL, with spreadsheets built here in the fixtures' shape.

use crate::support::{TestApp, envelope};
use reqwest::multipart::{Form, Part};
use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};
use stay_sidekick::store::Role;

/// A workbook whose first sheet holds `rows` (strings; "" = empty cell).
fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            if let Ok(number) = value.parse::<f64>() {
                sheet.write_number(r as u32, c as u16, number).unwrap();
            } else if !value.is_empty() {
                sheet.write_string(r as u32, c as u16, value).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// The shape of the original's catalogue export, in header mode.
pub(crate) fn catalogue(count: usize) -> Vec<u8> {
    let mut rows = vec![row(&[
        "ID",
        "Nombre",
        "Grupo",
        "Dirección",
        "Código",
        "Ciudad",
    ])];
    for i in 1..=count {
        rows.push(row(&[
            &i.to_string(),
            &format!("Apartamento {i}"),
            "XX",
            &format!("Calle {i}"),
            &format!("COD-{i:03}"),
            "Cádiz",
        ]));
    }
    xlsx(&rows)
}

pub(crate) async fn post_file(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn login_op(app: &TestApp) -> (String, uuid::Uuid) {
    let user = app
        .seed_user("op@example.com", Role::Operations, false)
        .await;
    (app.login("op@example.com").await, user.company_id)
}

async fn preview_writes_nothing_and_import_is_idempotent(app: TestApp) {
    let (token, company) = login_op(&app).await;
    let file = catalogue(12);
    let preview = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion/preview",
        "pisos.xlsx",
        file.clone(),
    )
    .await;
    assert_eq!(preview.status(), 200);
    let body: Value = preview.json().await.unwrap();
    assert_eq!(body["preview"]["nuevos"].as_array().unwrap().len(), 12);
    for key in ["actualizados", "sin_cambios", "errores"] {
        assert_eq!(body["preview"][key], json!([]), "{key} is always an array");
    }
    assert_eq!(
        body["preview"]["nuevos"][0],
        json!({"ciudad": "Cádiz", "direccion": "Calle 1", "id_externo": "1", "id_pms": "1", "nombre": "Apartamento 1"})
    );
    assert!(
        app.store().apartments(company).await.unwrap().is_empty(),
        "preview never writes"
    );
    // The (empty) list is cached before the import: the import must clear it.
    let before: Value = app
        .call("GET", "/api/apartamentos", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before["apartamentos"], json!([]));

    let first = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion",
        "pisos.xlsx",
        file.clone(),
    )
    .await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({"ok": true, "resultado": {"actualizados": 0, "nuevos": 12, "total": 12}})
    );
    let second: Value = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion",
        "PISOS.XLSX",
        file.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        second["resultado"],
        json!({"actualizados": 12, "nuevos": 0, "total": 12})
    );
    let apartments = app.store().apartments(company).await.unwrap();
    assert_eq!(apartments.len(), 12, "no duplicates");
    assert!(
        apartments
            .iter()
            .all(|a| a.origin.as_deref() == Some("xlsx"))
    );
    let listed: Value = app
        .call("GET", "/api/apartamentos", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["apartamentos"].as_array().unwrap().len(),
        12,
        "the list shows the import at once"
    );

    let again: Value = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion/preview",
        "pisos.xlsx",
        file,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        again["preview"]["sin_cambios"].as_array().unwrap().len(),
        12
    );
    assert_eq!(
        again["preview"]["sin_cambios"][0]["nombre_actual"],
        "Apartamento 1"
    );
    let logs = app.store().sync_logs(company, 5).await.unwrap();
    assert_eq!(
        logs[0],
        (
            "xlsx".into(),
            "exito".into(),
            Some(12),
            Some("XLSX: 0 nuevos, 12 actualizados".into())
        )
    );
}

async fn row_errors_are_warnings_and_changes_are_previewed(app: TestApp) {
    let (token, company) = login_op(&app).await;
    post_file(
        &app,
        &token,
        "/api/apartamentos/importacion",
        "a.xlsx",
        catalogue(3),
    )
    .await;
    let long = "x".repeat(250);
    let file = xlsx(&[
        row(&["id", "nombre", "ciudad"]),
        row(&["1", "Apartamento 1", "Cádiz"]),
        row(&["2", "Renombrado", ""]),
        row(&["4", "", "Sevilla"]),
        row(&["5", long.as_str(), ""]),
        row(&["6", "Nuevo", "Huelva"]),
    ]);
    let preview: Value = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion/preview",
        "b.xlsx",
        file.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    let ids = |key: &str| -> Vec<String> {
        preview["preview"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id_pms"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        (ids("sin_cambios"), ids("actualizados"), ids("nuevos")),
        (
            vec!["1".to_string()],
            vec!["2".to_string()],
            vec!["6".to_string()]
        )
    );
    assert_eq!(
        preview["preview"]["actualizados"][0]["nombre_actual"],
        "Apartamento 2"
    );
    let errors = vec![
        "Fila 4: falta el nombre del apartamento.",
        "Fila 5: el campo nombre es demasiado largo.",
    ];
    assert_eq!(preview["preview"]["errores"], json!(errors));
    let imported = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion",
        "b.xlsx",
        file,
    )
    .await;
    assert_eq!(imported.status(), 200);
    let body: Value = imported.json().await.unwrap();
    assert_eq!(
        body["resultado"],
        json!({"actualizados": 2, "nuevos": 1, "total": 3})
    );
    assert_eq!(body["warnings"], json!(errors));
    let renamed = app
        .store()
        .apartments(company)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.pms_id.as_deref() == Some("2"))
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.city.as_deref()),
        ("Renombrado", Some("Cádiz")),
        "an empty city keeps the stored one"
    );
    let logs = app.store().sync_logs(company, 1).await.unwrap();
    assert_eq!(logs[0].1, "parcial");
    assert_eq!(
        logs[0].3.as_deref(),
        Some("XLSX: 1 nuevos, 2 actualizados (2 errores)")
    );
}

async fn unusable_files_get_the_original_answers(app: TestApp) {
    let (token, company) = login_op(&app).await;
    let import = "/api/apartamentos/importacion";
    let no_file = app
        .call("POST", import, Some(&token), Some(&json!({"file": "x"})))
        .await;
    assert_eq!(no_file.status(), 400);
    assert_eq!(
        envelope(no_file).await,
        vec!["Se esperaba un archivo 'file'."]
    );
    let form = Form::new().text("file", "not a file");
    let text_part = app
        .client
        .post(app.url(import))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        envelope(text_part).await,
        vec!["Se esperaba un archivo 'file'."]
    );
    let csv = post_file(&app, &token, import, "pisos.csv", b"id;nombre".to_vec()).await;
    assert_eq!(envelope(csv).await, vec!["El archivo debe ser .xlsx."]);
    let empty = post_file(&app, &token, import, "pisos.xlsx", Vec::new()).await;
    assert_eq!(envelope(empty).await, vec!["El archivo está vacío."]);
    let not_zip = post_file(
        &app,
        &token,
        import,
        "pisos.xlsx",
        b"id;nombre\n1;A".to_vec(),
    )
    .await;
    assert_eq!(not_zip.status(), 422);
    assert_eq!(
        envelope(not_zip).await,
        vec!["No se pudo abrir el archivo Excel: File is not a zip file"]
    );
    let headers = post_file(
        &app,
        &token,
        import,
        "pisos.xlsx",
        xlsx(&[row(&["a", "b"]), row(&["1", "2"])]),
    )
    .await;
    assert_eq!(
        envelope(headers).await,
        vec![
            "No se encontró columna de ID (id, id_externo, identificador).",
            "No se encontró columna de nombre (nombre, name, propiedad, apartment)."
        ]
    );
    // The preview answers the same errors with 200.
    let preview = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion/preview",
        "p.xlsx",
        b"nope".to_vec(),
    )
    .await;
    assert_eq!(preview.status(), 200);
    let body: Value = preview.json().await.unwrap();
    assert_eq!(
        body["preview"]["errores"],
        json!(["No se pudo abrir el archivo Excel: File is not a zip file"])
    );
    assert!(app.store().apartments(company).await.unwrap().is_empty());
    let logs = app.store().sync_logs(company, 10).await.unwrap();
    assert!(
        logs.iter().all(|l| l.0 == "xlsx" && l.1 == "error"),
        "{logs:?}"
    );
}

async fn the_companys_column_numbers_override_headers(app: TestApp) {
    let admin = app.seed_user("admin@example.com", Role::Admin, false).await;
    let token = app.login("admin@example.com").await;
    app.call(
        "PUT",
        "/api/perfil/xlsx-apartamentos",
        Some(&token),
        Some(&json!({"col_id_externo": 5, "col_nombre": 2, "col_direccion": 4, "col_ciudad": 11})),
    )
    .await;
    // The fixture's columns: ID;Tipología;Grupo;Dirección completa;Código;...;Ciudad (11th).
    let mut rows = vec![row(&[
        "ID",
        "Tipología",
        "Grupo",
        "Dirección completa",
        "Código",
        "Huéspedes",
        "Min",
        "Max",
        "N.Unidades",
        "Orden",
        "Ciudad",
    ])];
    rows.push(row(&[
        "1",
        "La Victoria Turquesa",
        "XX",
        "Calle del Faro, 1, Bajo A",
        "VIC-TRQ-001",
        "0",
        "0",
        "0",
        "0",
        "0",
        "Cádiz",
    ]));
    let body: Value = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion",
        "m.xlsx",
        xlsx(&rows),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["resultado"]["nuevos"], 1);
    let apartment = &app.store().apartments(admin.company_id).await.unwrap()[0];
    assert_eq!(
        (
            apartment.pms_id.as_deref(),
            apartment.external_id.as_deref(),
            apartment.name.as_str(),
            apartment.city.as_deref()
        ),
        (
            Some("1"),
            Some("VIC-TRQ-001"),
            "La Victoria Turquesa",
            Some("Cádiz")
        )
    );
}

on_both_databases!(
    preview_writes_nothing_and_import_is_idempotent,
    row_errors_are_warnings_and_changes_are_previewed,
    unusable_files_get_the_original_answers,
    the_companys_column_numbers_override_headers,
);

/// A database failure midway leaves the catalogue exactly as it was.
#[tokio::test]
async fn an_import_that_fails_midway_writes_nothing() {
    let db = crate::support::TestDb::sqlite();
    let url = db.url().to_string();
    let app = TestApp::spawn_on(db).await;
    let (token, company) = login_op(&app).await;
    post_file(
        &app,
        &token,
        "/api/apartamentos/importacion",
        "a.xlsx",
        catalogue(2),
    )
    .await;
    let before = app.store().apartments(company).await.unwrap();
    // Row 3 of the next file makes the database refuse the insert.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::raw_sql("CREATE TRIGGER boom BEFORE INSERT ON apartamentos WHEN NEW.nombre = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END;")
        .execute(&pool)
        .await
        .unwrap();
    let file = xlsx(&[
        row(&["id", "nombre"]),
        row(&["1", "Cambiado"]),
        row(&["9", "Nuevo"]),
        row(&["10", "BOOM"]),
    ]);
    let failed = post_file(
        &app,
        &token,
        "/api/apartamentos/importacion",
        "b.xlsx",
        file,
    )
    .await;
    assert_eq!(failed.status(), 500);
    assert_eq!(envelope(failed).await, vec!["Error interno del servidor."]);
    assert_eq!(
        app.store().apartments(company).await.unwrap(),
        before,
        "nothing of the failed import remains"
    );
    let logs = app.store().sync_logs(company, 10).await.unwrap();
    assert_eq!(logs.len(), 1, "no log row for the rolled-back import");
}
