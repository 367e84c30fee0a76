//! Writes a reservations spreadsheet in the shape of the original's one-day
//! export (original-domain.md 9.3: guest in S, check-in C, check-out D,
//! email N, phone O, arrival time AV, typology code BJ, id A), for the
//! late check-in benchmark: `cargo run --example reservations_xlsx -- OUT ROWS`.
//! Columns between them are left empty; arrival times cycle through the day.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "reservas.xlsx".into());
    let rows: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(11);
    let date = Format::new().set_num_format("dd/mm/yy");
    let time = Format::new().set_num_format("hh:mm:ss");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        (0, "ID"),
        (2, "Check in"),
        (3, "Check-out"),
        (13, "Email"),
        (14, "Teléfono"),
        (18, "Referencia"),
        (47, "Hora estimada de llegada"),
        (61, "ID Tipologie"),
    ] {
        sheet.write_string(0, c, h).expect("header");
    }
    let arrival = ExcelDateTime::from_ymd(2026, 6, 3).expect("date");
    for r in 1..=rows {
        let departure = ExcelDateTime::from_ymd(2026, 6, 4 + (r % 6) as u8).expect("date");
        sheet.write_number(r, 0, f64::from(30_000 + r)).expect("id");
        sheet
            .write_datetime_with_format(r, 2, &arrival, &date)
            .expect("check in");
        sheet
            .write_datetime_with_format(r, 3, &departure, &date)
            .expect("check out");
        sheet.write_string(r, 13, "x").expect("email");
        sheet
            .write_number(r, 14, f64::from(666_000_000 + r))
            .expect("phone");
        sheet
            .write_string(r, 18, format!("Huésped {r}"))
            .expect("guest");
        let at =
            ExcelDateTime::from_hms(((r * 7) % 24) as u16, ((r * 13) % 60) as u8, 0).expect("time");
        sheet
            .write_datetime_with_format(r, 47, &at, &time)
            .expect("arrival");
        sheet
            .write_string(r, 61, format!("{{{}}}", r % 160 + 1))
            .expect("code");
    }
    book.save(&out).expect("write the workbook");
}
