//! Writes a one-day reservations export in the shape of the shared fixture
//! `junio-1-dia-mock.xlsx` (about 9 KB: 11 stays, 64 columns, dates in C and
//! D), for the benchmark when `../shared` is absent:
//! `cargo run --example day_xlsx -- OUT`.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "junio.xlsx".into());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("dd/mm/yy");
    for c in 0..64u16 {
        sheet
            .write_string(0, c, format!("Columna {c}"))
            .expect("header");
    }
    for r in 1..=11u32 {
        sheet.write_number(r, 0, f64::from(37_000 + r)).expect("id");
        let check_in = ExcelDateTime::from_ymd(2026, 6, 3).expect("date");
        let check_out = ExcelDateTime::from_ymd(2026, 6, 5 + (r % 5) as u8).expect("date");
        sheet
            .write_datetime_with_format(r, 2, &check_in, &date)
            .expect("check-in");
        sheet
            .write_datetime_with_format(r, 3, &check_out, &date)
            .expect("check-out");
        for c in 4..64u16 {
            sheet.write_string(r, c, "x").expect("filler");
        }
        sheet
            .write_string(r, 18, format!("Huésped {r}"))
            .expect("name");
    }
    book.save(&out).expect("write");
}
