//! Writes an apartments spreadsheet in the shape of the original's catalogue
//! export, for the benchmark: `cargo run --example catalogue_xlsx -- OUT ROWS`.

use rust_xlsxwriter::Workbook;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "catalogue.xlsx".into());
    let rows: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(160);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
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
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for r in 1..=rows {
        sheet.write_number(r, 0, r as f64).expect("id");
        sheet
            .write_string(r, 1, format!("Apartamento {r}"))
            .expect("name");
        sheet.write_string(r, 2, "XX").expect("group");
        sheet
            .write_string(r, 3, format!("Calle del Faro, {r}, Bajo A"))
            .expect("address");
        sheet
            .write_string(r, 4, format!("APT-{r:03}"))
            .expect("code");
        for c in 5..10 {
            sheet.write_number(r, c, 0.0).expect("numbers");
        }
        sheet.write_string(r, 10, "Cádiz").expect("city");
    }
    book.save(&out).expect("write the workbook");
}
