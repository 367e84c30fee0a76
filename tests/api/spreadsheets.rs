//! The XLSX reader on real workbooks made here (rust_xlsxwriter) and on
//! hostile files: not a zip, zip bombs, huge shared-string tables, sheets
//! with rows far away, hidden sheets, formulas. Each is answered fast.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use stay_sidekick::domain::spreadsheet::{Cell, Limits, SheetError, read_cells, read_rows};

fn workbook(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
    let mut book = Workbook::new();
    build(&mut book);
    book.save_to_buffer().unwrap()
}

#[test]
fn values_read_as_the_original_read_them() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "id").unwrap();
        sheet.write_string(0, 1, "nombre").unwrap();
        sheet.write_number(1, 0, 101).unwrap();
        sheet.write_number(1, 1, 104.5).unwrap();
        sheet.write_boolean(1, 2, true).unwrap();
        sheet.write_string(3, 1, "tras hueco").unwrap();
    });
    let rows = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(rows[0], vec![Some("id".into()), Some("nombre".into())]);
    assert_eq!(
        rows[1],
        vec![
            Some("101".into()),
            Some("104.5".into()),
            Some("True".into())
        ]
    );
    assert!(rows[2].is_empty(), "an empty row in between stays");
    assert_eq!(rows[3], vec![None, Some("tras hueco".into())]);
}

#[test]
fn typed_cells_keep_dates_times_and_numbers_apart() {
    let bytes = workbook(|book| {
        let date = Format::new().set_num_format("dd/mm/yyyy");
        let time = Format::new().set_num_format("hh:mm");
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "texto").unwrap();
        sheet
            .write_datetime_with_format(0, 1, ExcelDateTime::from_ymd(2026, 6, 3).unwrap(), &date)
            .unwrap();
        sheet
            .write_datetime_with_format(0, 2, ExcelDateTime::from_hms(21, 30, 0).unwrap(), &time)
            .unwrap();
        sheet.write_number(0, 3, 46176).unwrap();
        sheet.write_string(0, 4, "no leída").unwrap();
    });
    let rows = read_cells(&bytes, &Limits::default(), |c| c != 4).unwrap();
    let at = |d: NaiveDate, h, m| -> NaiveDateTime { d.and_hms_opt(h, m, 0).unwrap() };
    assert_eq!(
        rows[0],
        vec![
            Some(Cell::Text("texto".into())),
            Some(Cell::DateTime(at(
                NaiveDate::from_ymd_opt(2026, 6, 3).unwrap(),
                0,
                0
            ))),
            Some(Cell::DateTime(at(
                NaiveDate::from_ymd_opt(1899, 12, 31).unwrap(),
                21,
                30
            ))),
            Some(Cell::Number(46176.0)),
        ],
        "a column the caller does not keep is never read"
    );
    assert_eq!(
        rows[0][1].as_ref().map(Cell::text).as_deref(),
        Some("2026-06-03 00:00:00")
    );
}

#[test]
fn formulas_read_as_their_cached_values() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "a").unwrap();
        sheet
            .write_formula(1, 0, Formula::new("=1+1").set_result("2"))
            .unwrap();
    });
    let rows = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(
        rows[1][0].as_deref(),
        Some("2"),
        "the cached result, never evaluated"
    );
}

#[test]
fn hidden_sheets_are_skipped() {
    let bytes = workbook(|book| {
        let hidden = book.add_worksheet().set_name("oculta").unwrap();
        hidden.write_string(0, 0, "secreto").unwrap();
        hidden.set_hidden(true);
        let visible = book.add_worksheet().set_name("datos").unwrap();
        visible.write_string(0, 0, "visible").unwrap();
        visible.set_active(true);
    });
    let rows = read_rows(&bytes, &Limits::default()).unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("visible"));
}

#[test]
fn not_a_zip_is_an_open_error() {
    let err = read_rows(b"id;nombre\n1;Atico\n", &Limits::default()).unwrap_err();
    assert_eq!(err, SheetError::Open("File is not a zip file".into()));
    assert!(
        err.to_string()
            .starts_with("No se pudo abrir el archivo Excel: ")
    );
    // A zip that is not a workbook.
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    zip.start_file("hola.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"hola").unwrap();
    zip.finish().unwrap();
    assert!(matches!(
        read_rows(buffer.get_ref(), &Limits::default()),
        Err(SheetError::Open(_))
    ));
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let zeros = vec![b'0'; 1024 * 1024];
    for _ in 0..300 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    let bytes = buffer.into_inner();
    assert!(
        bytes.len() < 2 * 1024 * 1024,
        "300 MiB packed into {} bytes",
        bytes.len()
    );
    let err = read_rows(&bytes, &Limits::default()).unwrap_err();
    assert!(matches!(err, SheetError::TooBig(_)), "{err:?}");
}

#[test]
fn a_huge_shared_string_table_is_refused() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        for row in 0..2000u32 {
            sheet
                .write_string(
                    row,
                    0,
                    format!("texto único número {row} {}", "relleno ".repeat(20)),
                )
                .unwrap();
        }
    });
    let limits = Limits {
        max_shared_strings: 100 * 1024,
        ..Limits::default()
    };
    assert!(matches!(
        read_rows(&bytes, &limits),
        Err(SheetError::TooBig(_))
    ));
}

#[test]
fn a_sheet_reaching_far_rows_stops_at_the_row_cap() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "id").unwrap();
        sheet.write_string(1_048_575, 16_383, "XFD1048576").unwrap();
        sheet.write_string(1_000_000, 0, "lejos").unwrap();
    });
    let err = read_rows(&bytes, &Limits::default()).unwrap_err();
    assert_eq!(err, SheetError::TooManyRows(50_000));
}

#[test]
fn one_long_shared_string_in_many_cells_cannot_exhaust_memory() {
    let long = "x".repeat(32_000);
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        for row in 0..6_000u32 {
            sheet.write_string(row, 0, &long).unwrap();
        }
    });
    assert!(bytes.len() < 200 * 1024, "{} bytes", bytes.len());
    let err = read_rows(&bytes, &Limits::default()).unwrap_err();
    assert!(matches!(err, SheetError::TooBig(_)), "{err:?}");
}

#[test]
fn a_read_past_its_time_budget_stops_with_a_clear_error() {
    use stay_sidekick::domain::spreadsheet::with_time_budget;
    use std::time::Duration;
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "id").unwrap();
    });
    let late = with_time_budget(Duration::ZERO, || read_rows(&bytes, &Limits::default()));
    assert_eq!(late, Err(SheetError::TooSlow(0)));
    assert!(
        SheetError::TooSlow(5).to_string().contains("más de 5 s"),
        "the message says the budget"
    );
    // The budget ends with its closure: the same thread reads freely again.
    let on_time = with_time_budget(Duration::from_secs(60), || {
        read_rows(&bytes, &Limits::default())
    });
    assert!(on_time.is_ok());
    assert!(read_rows(&bytes, &Limits::default()).is_ok());
}

#[test]
fn kept_cells_past_the_cap_are_refused() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        for row in 0..10u32 {
            sheet.write_string(row, 0, "a").unwrap();
            sheet.write_string(row, 1, "b").unwrap();
        }
    });
    let limits = Limits {
        max_cells: 15,
        ..Limits::default()
    };
    let err = read_rows(&bytes, &limits).unwrap_err();
    assert!(matches!(err, SheetError::TooBig(_)), "{err:?}");
    // Only kept cells count: one column of ten is within the cap.
    assert!(read_cells(&bytes, &limits, |c| c == 0).is_ok());
}

/// The apartments reader keeps only its columns of each row, yet answers
/// exactly what parsing the whole sheet answers: the same apartments and the
/// same row errors, empty rows and rows of other columns included.
#[test]
fn the_apartments_reader_streams_what_the_whole_sheet_parse_reads() {
    use stay_sidekick::domain::apartments_xlsx::{ColumnOverride, parse, read};
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        for (column, header) in [(0, "ref"), (3, "id"), (7, "Nombre"), (50, "ciudad")] {
            sheet.write_string(0, column, header).unwrap();
        }
        for column in 80..100u16 {
            sheet.write_string(0, column, "otra").unwrap();
        }
        for row in 1..40u32 {
            if row % 7 == 0 {
                continue; // an empty row
            }
            if row % 11 == 0 {
                sheet.write_string(row, 90, "solo otra columna").unwrap();
                continue;
            }
            sheet.write_number(row, 3, f64::from(row)).unwrap();
            if row % 5 != 0 {
                sheet.write_string(row, 7, format!("Apto {row}")).unwrap();
            }
            sheet.write_string(row, 50, "Sevilla").unwrap();
            for column in 80..100u16 {
                sheet.write_string(row, column, "x").unwrap();
            }
        }
        sheet
            .write_string(45, 95, "última fila, otra columna")
            .unwrap();
    });
    let whole = read_rows(&bytes, &Limits::default()).unwrap();
    for columns in [
        None,
        Some(ColumnOverride {
            id: 4,
            name: 8,
            address: 0,
            city: 51,
        }),
    ] {
        let (streamed, data_rows) = read(&bytes, &Limits::default(), columns);
        assert_eq!(streamed, parse(&whole, columns), "{columns:?}");
        assert_eq!(data_rows, 45);
        assert!(!streamed.fatal && streamed.apartments.len() > 20);
        assert!(
            streamed
                .errors
                .iter()
                .any(|e| e == "Fila 8: falta el ID externo del apartamento."),
            "an empty row is a row error, as before: {:?}",
            streamed.errors
        );
    }
}
