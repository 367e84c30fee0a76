//! Spreadsheets built for the heat-map tests, and the multipart upload.

use reqwest::multipart::{Form, Part};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use crate::support::TestApp;

/// One cell of a test sheet.
#[derive(Clone)]
pub enum C {
    Text(&'static str),
    Number(f64),
    Date(&'static str),
    Time(u16, u8),
    Bool(bool),
    Blank,
}

fn write(sheet: &mut Worksheet, row: u32, column: u16, cell: &C) {
    match cell {
        C::Text(t) => {
            sheet.write_string(row, column, *t).unwrap();
        }
        C::Number(n) => {
            sheet.write_number(row, column, *n).unwrap();
        }
        C::Date(d) => {
            let date = ExcelDateTime::parse_from_str(d).unwrap();
            let format = Format::new().set_num_format("dd/mm/yy");
            sheet
                .write_datetime_with_format(row, column, &date, &format)
                .unwrap();
        }
        C::Time(h, m) => {
            let time = ExcelDateTime::from_hms(*h, *m, 0).unwrap();
            let format = Format::new().set_num_format("hh:mm");
            sheet
                .write_datetime_with_format(row, column, &time, &format)
                .unwrap();
        }
        C::Bool(b) => {
            sheet.write_boolean(row, column, *b).unwrap();
        }
        C::Blank => {}
    }
}

/// A workbook: a header row, then `cells` in column `column` (0-based) with
/// `x` in column A of every row so blank rows still belong to the sheet.
/// With `hidden_first`, a hidden sheet full of other dates comes first.
pub fn sheet(column: u16, cells: &[C], hidden_first: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    if hidden_first {
        let hidden = book.add_worksheet();
        hidden.write_string(0, column, "Fecha").unwrap();
        for r in 1..=5 {
            write(hidden, r, column, &C::Text("2026-06-02"));
        }
    }
    let sheet = book.add_worksheet();
    sheet.write_string(0, column, "Fecha").unwrap();
    sheet.write_string(0, 0, "Id").unwrap();
    for (i, cell) in cells.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, "x").unwrap();
        write(sheet, row, column, cell);
    }
    if hidden_first {
        sheet.set_active(true);
        book.worksheet_from_index(0).unwrap().set_hidden(true);
    }
    book.save_to_buffer().unwrap()
}

pub struct Upload {
    pub checkins: Option<(&'static str, Vec<u8>)>,
    pub checkouts: Option<(&'static str, Vec<u8>)>,
    pub desde: Option<&'static str>,
    pub hasta: Option<&'static str>,
}

impl Default for Upload {
    fn default() -> Self {
        Upload {
            checkins: Some(("entradas.xlsx", sheet(2, &[C::Date("2026-06-03")], false))),
            checkouts: None,
            desde: Some("2026-06-01"),
            hasta: Some("2026-06-30"),
        }
    }
}

pub async fn post(app: &TestApp, token: &str, upload: Upload) -> reqwest::Response {
    let mut form = Form::new();
    // The text fields after the files: the order of parts does not matter.
    if let Some((name, bytes)) = upload.checkins {
        form = form.part("checkins", Part::bytes(bytes).file_name(name));
    }
    if let Some((name, bytes)) = upload.checkouts {
        form = form.part("checkouts", Part::bytes(bytes).file_name(name));
    }
    if let Some(desde) = upload.desde {
        form = form.text("desde", desde);
    }
    if let Some(hasta) = upload.hasta {
        form = form.text("hasta", hasta);
    }
    app.client
        .post(app.url("/api/heatmap/xlsx"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}
