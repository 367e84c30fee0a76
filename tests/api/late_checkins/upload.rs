//! `POST /api/notificaciones/checkin-tardio/checkins`: spreadsheets built
//! here (typed cells, text times, after-midnight arrivals, aliases, column
//! letters, hidden sheets, blank rows) and the shared fixture when present.

use super::{apartment, app_on, json_of, login};
use crate::support::{TestApp, envelope};
use reqwest::multipart::{Form, Part};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};
use serde_json::{Value, json};

const UPLOAD: &str = "/api/notificaciones/checkin-tardio/checkins";

/// A cell of a test sheet.
#[derive(Clone)]
pub(super) enum C {
    T(&'static str),
    S(String),
    N(f64),
    Date(u16, u8, u8),
    Time(u16, u8),
    E,
}

fn write(sheet: &mut Worksheet, rows: &[Vec<C>]) {
    let date = Format::new().set_num_format("dd/mm/yy");
    let time = Format::new().set_num_format("hh:mm:ss");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                C::T(s) => sheet.write_string(r, c, *s).map(|_| ()),
                C::S(s) => sheet.write_string(r, c, s).map(|_| ()),
                C::N(n) => sheet.write_number(r, c, *n).map(|_| ()),
                C::Date(y, m, d) => sheet
                    .write_datetime_with_format(
                        r,
                        c,
                        ExcelDateTime::from_ymd(*y, *m, *d).unwrap(),
                        &date,
                    )
                    .map(|_| ()),
                C::Time(h, m) => sheet
                    .write_datetime_with_format(
                        r,
                        c,
                        ExcelDateTime::from_hms(*h, *m, 0).unwrap(),
                        &time,
                    )
                    .map(|_| ()),
                C::E => Ok(()),
            }
            .unwrap();
        }
    }
}

/// A workbook with `rows` on its visible sheet, after a hidden one when asked.
pub(super) fn xlsx(rows: &[Vec<C>], hidden_first: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    if hidden_first {
        let hidden = book.add_worksheet().set_name("oculta").unwrap();
        write(
            hidden,
            &[
                vec![C::T("nombre"), C::T("hora")],
                vec![C::T("Fantasma"), C::T("23:00")],
            ],
        );
        hidden.set_hidden(true);
    }
    let sheet = book.add_worksheet().set_name("Hoja1").unwrap();
    write(sheet, rows);
    sheet.set_active(true);
    book.save_to_buffer().unwrap()
}

pub(super) async fn post(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    app.client
        .post(app.url(UPLOAD))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The fixture's shape (original-domain.md 9.3): 64 columns; A ID, C check
/// in, D check-out, N email, O phone, S guest (header `Referencia`), AV
/// arrival time, BJ typology code; plus one arrival after midnight.
fn fixture_like() -> Vec<u8> {
    let mut header = vec![C::T("x"); 64];
    for (i, h) in [
        (0, "ID"),
        (1, "Número"),
        (2, "Check in"),
        (3, "Check-out"),
        (13, "Email"),
        (14, "Teléfono"),
        (18, "Referencia"),
        (47, "Hora estimada de llegada"),
        (48, "Hora estimada de salida"),
        (61, "ID Tipologie"),
    ] {
        header[i] = C::T(h);
    }
    let people = [
        (37937, "Propietario", 6, None, 26),
        (37487, "Propietario", 10, None, 39),
        (37430, "Víctor Andersen", 6, Some(15), 135),
        (36920, "Elena Stark", 5, Some(15), 37),
        (36281, "Lucía Moreau", 10, Some(16), 152),
        (35702, "Adrián Salvatore", 6, Some(22), 111),
        (35441, "Sofía Vega Carrasco", 9, Some(21), 157),
        (35427, "Bruno Tanaka", 9, Some(20), 96),
        (35170, "Clara Oswald", 5, Some(15), 4),
        (34656, "Diego Troi", 6, Some(19), 132),
        (33499, "Inés Romero Parejo", 6, Some(15), 9),
        (33000, "Noa Madrugada", 6, Some(1), 9),
    ];
    let mut rows = vec![header];
    for (n, (id, guest, out, hour, code)) in people.into_iter().enumerate() {
        let mut row = vec![C::T("x"); 64];
        row[0] = C::N(id as f64);
        row[1] = C::S(format!("{id}/2025"));
        row[2] = C::Date(2026, 6, 3);
        row[3] = C::Date(2026, 6, out);
        row[13] = C::T("x");
        row[14] = if n < 2 {
            C::E
        } else {
            C::N(666111442.0 + n as f64)
        };
        row[18] = C::T(guest);
        row[47] = hour.map(|h| C::Time(h, 0)).unwrap_or(C::E);
        row[48] = C::Time(12, 0);
        row[61] = C::S(format!("{{{code}}}"));
        rows.push(row);
    }
    xlsx(&rows, false)
}

/// The catalogue of original-domain.md 3.4 and the S/C/AV/O/BJ letters.
async fn fixture_company(app: &TestApp) -> String {
    let (token, admin) = login(app, "a").await;
    for (name, code, address) in [
        ("Atlántico Azul", "111", Some("Plaza de Gadir, 111, Bajo C")),
        ("El Refugio de la Viña", "157", None),
        ("La Armada", "96", None),
        ("La Caleta", "9", Some("C/ Caleta 9")),
    ] {
        apartment(
            app,
            &token,
            json!({"nombre": name, "id_externo": code, "direccion": address}),
        )
        .await;
    }
    let saved = app
        .call(
            "PUT",
            "/api/perfil/notificaciones-tardio-config",
            Some(&admin),
            Some(
                &json!({"hora_corte": "20:00", "col_nombre": "S", "col_checkin": "C",
                         "col_hora_llegada": "AV", "col_telefono": "O", "col_apartamento": "BJ"}),
            ),
        )
        .await;
    assert_eq!(saved.status(), 200);
    token
}

fn names(body: &Value) -> Vec<&str> {
    body["checkins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["nombre"].as_str().unwrap())
        .collect()
}

async fn the_fixtures_late_arrivals_with_the_column_letters(app: TestApp) {
    let token = fixture_company(&app).await;
    let body = json_of(post(&app, &token, "junio.xlsx", fixture_like()).await).await;
    assert_eq!(
        names(&body),
        [
            "Adrián Salvatore",
            "Sofía Vega Carrasco",
            "Bruno Tanaka",
            "Noa Madrugada"
        ],
        "the original's three, and the 01:00 arrival it missed"
    );
    assert!(body.get("warnings").is_none(), "{body}");
    assert_eq!(
        body["checkins"][0],
        json!({"apartamento": "Atlántico Azul", "checkin": "2026-06-03", "checkout": "2026-06-06",
               "direccion": "Plaza de Gadir, 111, Bajo C", "email": "x", "hora_llegada": "22:00",
               "llegada": "2026-06-03T22:00:00+02:00", "nombre": "Adrián Salvatore", "tardio": true,
               "telefono": "666111447", "zona_horaria": "Europe/Madrid"})
    );
    assert_eq!(
        (
            &body["checkins"][1]["apartamento"],
            &body["checkins"][1]["direccion"]
        ),
        (&json!("El Refugio de la Viña"), &Value::Null)
    );
    assert_eq!(
        body["checkins"][2]["hora_llegada"], "20:00",
        "at the cut-off: late"
    );
    assert_eq!(
        (
            &body["checkins"][3]["apartamento"],
            &body["checkins"][3]["llegada"]
        ),
        (&json!("La Caleta"), &json!("2026-06-04T01:00:00+02:00")),
        "after midnight: the next morning, late for the 3rd"
    );

    // The shared fixture itself, when this checkout has it beside it.
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/junio-1-dia-mock.xlsx");
    if let Ok(bytes) = std::fs::read(&shared) {
        let body = json_of(post(&app, &token, "junio-1-dia-mock.xlsx", bytes).await).await;
        assert_eq!(
            names(&body),
            ["Adrián Salvatore", "Sofía Vega Carrasco", "Bruno Tanaka"]
        );
        assert_eq!(
            (
                &body["checkins"][0]["apartamento"],
                &body["checkins"][0]["telefono"],
                &body["checkins"][0]["checkin"]
            ),
            (
                &json!("Atlántico Azul"),
                &json!("666111447"),
                &json!("2026-06-03")
            )
        );
    } else {
        eprintln!("{} absent: shared fixture check skipped", shared.display());
    }
}

async fn header_aliases_text_times_hidden_sheets_and_blank_rows(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    let rows = vec![
        vec![
            C::T(" Huésped "),
            C::T("Hora llegada"),
            C::T("Check-in"),
            C::T("Apartamento"),
            C::T("Name"),
        ],
        vec![
            C::T("Ana"),
            C::T("21:00"),
            C::T("03/06/26"),
            C::T("{7}"),
            C::T("Otra"),
        ],
        vec![
            C::T("Luis"),
            C::T("01:30:00"),
            C::Date(2026, 6, 3),
            C::E,
            C::E,
        ],
        vec![C::T("Eva"), C::T("25:00"), C::E, C::E, C::E],
        vec![C::T("Rui"), C::T("9:00"), C::E, C::E, C::E],
        vec![],
        vec![C::T("Sol"), C::Time(23, 0), C::Date(2026, 6, 3), C::E, C::E],
        vec![C::T("Tom"), C::T("05:59"), C::E, C::E, C::E],
        vec![C::T("Ugo"), C::T("06:00"), C::E, C::E, C::E],
        vec![C::T("Val"), C::N(0.9), C::E, C::E, C::E],
    ];
    let body = json_of(post(&app, &token, "Reservas.XLSX", xlsx(&rows, true)).await).await;
    assert_eq!(names(&body), ["Ana", "Luis", "Sol", "Tom"], "{body}");
    assert_eq!(
        body["warnings"],
        json!([
            "Fila 4: valor de hora_llegada no reconocido '25:00' — ignorado.",
            "Fila 5: valor de hora_llegada no reconocido '9:00' — ignorado.",
            "Fila 6: falta el nombre del huésped — fila omitida.",
            "Fila 10: valor de hora_llegada no reconocido '0.9' — ignorado."
        ])
    );
    let ana = &body["checkins"][0];
    assert_eq!(
        (&ana["checkin"], &ana["llegada"], &ana["apartamento"]),
        (&json!("03/06/26"), &Value::Null, &json!("{7}")),
        "a text date stays as written; no instant without an ISO date"
    );
    assert_eq!(body["checkins"][1]["llegada"], "2026-06-04T01:30:00+02:00");
    assert_eq!(body["checkins"][2]["hora_llegada"], "23:00");
}

async fn fatal_problems_are_warnings_and_the_upload_itself_is_checked(app: TestApp) {
    let (token, _) = login(&app, "a").await;
    let no_name = xlsx(
        &[
            vec![C::T("hora"), C::T("x")],
            vec![C::T("22:00"), C::T("y")],
        ],
        false,
    );
    assert_eq!(
        json_of(post(&app, &token, "a.xlsx", no_name).await).await,
        json!({"checkins": [], "ok": true, "warnings": [
            "No se encontró columna de nombre del huésped. Cabeceras reconocidas: nombre, name, guest, huesped, guest_name."
        ]})
    );
    let header_only = xlsx(&[vec![C::T("nombre")]], false);
    assert_eq!(
        json_of(post(&app, &token, "a.xlsx", header_only).await).await["warnings"],
        json!(["El archivo debe tener cabeceras en la primera fila y al menos una fila de datos."])
    );
    assert_eq!(
        json_of(post(&app, &token, "a.xlsx", b"not a zip".to_vec()).await).await["warnings"],
        json!(["No se pudo abrir el archivo Excel: File is not a zip file"])
    );
    let csv = post(&app, &token, "a.csv", b"nombre;hora".to_vec()).await;
    assert_eq!(csv.status(), 400);
    assert_eq!(
        envelope(csv).await,
        vec!["El archivo debe tener extensión .xlsx."]
    );
    let empty = post(&app, &token, "a.xlsx", Vec::new()).await;
    assert_eq!(empty.status(), 400);
    assert_eq!(envelope(empty).await, vec!["El archivo está vacío."]);
    let none = app
        .client
        .post(app.url(UPLOAD))
        .bearer_auth(&token)
        .multipart(Form::new().text("otro", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 400);
    assert_eq!(
        envelope(none).await,
        vec!["Se esperaba un campo 'file' con el archivo."]
    );
}

async fn the_day_start_and_cut_off_come_from_the_settings(app: TestApp) {
    let (token, admin) = login(&app, "a").await;
    let saved = app
        .call(
            "PUT",
            "/api/perfil/notificaciones-tardio-config",
            Some(&admin),
            Some(&json!({"hora_corte": "22:00", "inicio_dia_operativo": "04:00"})),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let rows = vec![
        vec![C::T("nombre"), C::T("hora"), C::T("checkin")],
        vec![C::T("Ana"), C::T("21:59"), C::Date(2026, 6, 3)],
        vec![C::T("Bea"), C::T("22:00"), C::Date(2026, 6, 3)],
        vec![C::T("Cris"), C::T("03:59"), C::Date(2026, 6, 3)],
        vec![C::T("Dani"), C::T("04:00"), C::Date(2026, 6, 3)],
    ];
    let body = json_of(post(&app, &token, "a.xlsx", xlsx(&rows, false)).await).await;
    assert_eq!(names(&body), ["Bea", "Cris"]);
    assert_eq!(body["checkins"][1]["llegada"], "2026-06-04T03:59:00+02:00");
}

on_both_databases!(@with super::app_on;
    the_fixtures_late_arrivals_with_the_column_letters,
    header_aliases_text_times_hidden_sheets_and_blank_rows,
    fatal_problems_are_warnings_and_the_upload_itself_is_checked,
    the_day_start_and_cut_off_come_from_the_settings,
);
