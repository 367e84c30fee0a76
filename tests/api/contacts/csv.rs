//! The CSV exports: exact bytes (BOM, header, CRLF, minimal quoting),
//! formula cells neutralised, from the PMS and from a spreadsheet.

use reqwest::multipart::{Form, Part};
use rust_xlsxwriter::Workbook;
use serde_json::json;

use super::{Ctx, booking};
use crate::support::envelope;

const HEADER: &str = "\u{feff}Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Notes\r\n";

pub async fn upload(ctx: &Ctx, path: &str, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    ctx.app
        .client
        .post(ctx.app.url(path))
        .bearer_auth(token)
        .multipart(Form::new().part("file", Part::bytes(bytes).file_name("reservas.xlsx")))
        .send()
        .await
        .unwrap()
}

/// Two guests (one twice, one in two apartments), a row without a phone.
pub fn guests_sheet() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [[&str; 4]; 5] = [
        ["Nombre", "Check-in", "Tipología", "Teléfono"],
        ["Lucía Moreau", "03/06/2026", "", "666111446"],
        ["Víctor Andersen", "2026-06-05", "{135}", "666111444"],
        ["víctor andersen ", "2026-06-03", "{136} {999}", "666111444"],
        ["Propietario", "2026-06-03", "", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(r as u32, c as u16, *value).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn csv_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=contactos_google.csv"
    );
    String::from_utf8(response.bytes().await.unwrap().to_vec()).unwrap()
}

async fn pms_csv_is_googles_format_with_formulas_neutralised(ctx: Ctx) {
    let path = "/api/contactos/exportacion/csv";
    let response = ctx.call("POST", path, &ctx.op, Some(json!({}))).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        envelope(response).await,
        vec!["No hay configuración de PMS."]
    );
    ctx.save_pms().await;
    ctx.mock_bookings(vec![
        booking(1, "Juan", "García", "+34 600 000 000", "2026-05-01", ""),
        booking(2, "Ana", "Gil", "+34 600 000 001", "2026-06-05", "Ático"),
        booking(3, "Ana", "Gil", "+34 600 000 001", "2026-06-03", "Bajo"),
        booking(
            4,
            "cmd|' /C calc'!A0",
            "=2+5",
            "-600000002",
            "2026-06-04",
            "@Piso",
        ),
        booking(5, "Eva", "Sol", "+1+1+1+1+1", "2026-06-04", ""),
    ])
    .await;
    let csv = csv_of(
        ctx.call(
            "POST",
            path,
            &ctx.op,
            Some(json!({"desde": "2026-6-1", "hasta": null})),
        )
        .await,
    )
    .await;
    let expected = format!(
        "{HEADER}\
         \"260501 -  - García, Juan\",,,* myContacts,,,,+34 600 000 000,\r\n\
         \"260603 - Ático, Bajo - Gil, Ana\",,,* myContacts,,,,+34 600 000 001,\r\n\
         \"260604 - @Piso - =2+5, cmd|' /C calc'!A0\",,,* myContacts,,,,'-600000002,\r\n\
         \"260604 -  - Sol, Eva\",,,* myContacts,,,,'+1+1+1+1+1,\r\n"
    );
    assert_eq!(csv, expected);
    // A composed name that starts with a formula character is neutralised too.
    ctx.call(
        "PUT",
        "/api/contactos/preferencias",
        &ctx.op,
        Some(json!({"plantilla": "{APT}{NOMBRE}"})),
    )
    .await;
    let csv = csv_of(ctx.call("POST", path, &ctx.op, None).await).await;
    assert!(
        csv.contains("\r\n\"'@Piso=2+5, cmd|' /C calc'!A0\",,,* myContacts,,,,'-600000002,\r\n"),
        "{csv}"
    );
    // Bad dates and unknown keys: the original's one message.
    for bad in [
        json!({"desde": "01/06/2026"}),
        json!({"desde": "2026-02-30"}),
        json!({"otro": 1}),
        json!({"hasta": 5}),
    ] {
        let response = ctx.call("POST", path, &ctx.op, Some(bad.clone())).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(
            envelope(response).await,
            vec!["Parámetros de fecha inválidos."]
        );
    }
    // B has no PMS: A's is never used for it.
    let response = ctx.call("POST", path, &ctx.b_admin, None).await;
    assert_eq!(
        envelope(response).await,
        vec!["No hay configuración de PMS."]
    );
}

async fn spreadsheet_csv_groups_guests_and_names_apartments(ctx: Ctx) {
    use stay_sidekick::store::{ApartmentUpsert, SyncLog};
    let rows: Vec<ApartmentUpsert> = [("135", "Apt 135"), ("136", "Apt 136")]
        .into_iter()
        .map(|(id, name)| ApartmentUpsert {
            pms_id: id.into(),
            name: name.into(),
            ..Default::default()
        })
        .collect();
    ctx.app
        .store()
        .upsert_apartments(
            ctx.company,
            &rows,
            "xlsx",
            Box::new(|_| SyncLog {
                origin: "xlsx",
                status: "exito",
                records: None,
                detail: None,
            }),
        )
        .await
        .unwrap();
    let path = "/api/contactos/xlsx/exportacion/csv";
    let csv = csv_of(upload(&ctx, path, &ctx.op, guests_sheet()).await).await;
    assert_eq!(
        csv,
        format!(
            "{HEADER}260603 -  - Lucía Moreau,,,* myContacts,,,,666111446,\r\n\
             \"260603 - Apt 135, Apt 136 - Víctor Andersen\",,,* myContacts,,,,666111444,\r\n"
        )
    );
    // Company B's catalogue has no such apartments.
    let csv = csv_of(upload(&ctx, path, &ctx.b_admin, guests_sheet()).await).await;
    assert!(csv.contains("\r\n260603 -  - Víctor Andersen,"), "{csv}");
    let response = upload(&ctx, path, &ctx.op, b"not a zip".to_vec()).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        envelope(response).await,
        vec!["No se pudo abrir el archivo Excel: File is not a zip file"]
    );
    let response = ctx
        .app
        .client
        .post(ctx.app.url(path))
        .bearer_auth(&ctx.op)
        .multipart(Form::new().part("file", Part::bytes(guests_sheet()).file_name("r.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        envelope(response).await,
        vec!["El archivo debe tener extensión .xlsx."]
    );
    let mut book = Workbook::new();
    book.add_worksheet().write_string(0, 0, "Teléfono").unwrap();
    book.worksheet_from_index(0)
        .unwrap()
        .write_string(1, 0, "600000000")
        .unwrap();
    let response = upload(&ctx, path, &ctx.op, book.save_to_buffer().unwrap()).await;
    assert_eq!(
        envelope(response).await,
        vec![
            "No se encontró columna de nombre del huésped. Configura la posición de columna en el perfil o añade una cabecera reconocida."
        ]
    );
}

contacts_cases!(
    pms_csv_is_googles_format_with_formulas_neutralised,
    spreadsheet_csv_groups_guests_and_names_apartments,
);
