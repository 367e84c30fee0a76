//! The dates of one spreadsheet column (the fix of the original's pandas
//! reading, DECISIONS.md "Heat-map XLSX dates"): date cells and Excel serial
//! numbers are dates; ISO text is ISO; `d/m/yy(yy)` is day-first. Whatever
//! else is in a data row (blank, booleans, times, text no rule reads,
//! impossible dates) is dropped and counted, never stored under a hidden key.

use chrono::{Datelike, Days, NaiveDate};

pub use crate::domain::spreadsheet::column_index;
use crate::domain::spreadsheet::{Cell, Limits, SheetError, read_cells_with_height};

/// Excel's largest serial, 9999-12-31.
const MAX_SERIAL: f64 = 2_958_465.0;
/// Excel's widest sheet (column `XFD`): one column is read, so the
/// reader's usual column cap need not apply.
const MAX_COLUMNS: u32 = 16_384;

/// The date of a cell, or `None` when the row is to be dropped.
pub fn cell_date(cell: &Cell) -> Option<NaiveDate> {
    match cell {
        // A time alone sits on Excel's day zero (1899-12-30/31): not a date.
        Cell::DateTime(at) => Some(at.date()).filter(|d| d.year() >= 1900),
        Cell::Number(serial) => serial_date(*serial),
        Cell::Text(text) => text_date(text),
        Cell::Bool(_) | Cell::Duration(_) => None,
    }
}

/// An Excel serial (1900 system) as a date; its time of day is dropped.
/// Serial 60 is Lotus's 1900-02-29, which never was.
pub fn serial_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..MAX_SERIAL + 1.0).contains(&serial) {
        return None;
    }
    let day = serial.trunc() as u64;
    let epoch = match day {
        60 => return None,
        ..60 => NaiveDate::from_ymd_opt(1899, 12, 31)?,
        _ => NaiveDate::from_ymd_opt(1899, 12, 30)?,
    };
    epoch.checked_add_days(Days::new(day))
}

fn number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn ymd(year: u32, month: u32, day: u32) -> Option<NaiveDate> {
    (1..=9999)
        .contains(&year)
        .then(|| NaiveDate::from_ymd_opt(year as i32, month, day))
        .flatten()
}

/// The date of a text cell, by these rules only (trimmed first):
/// - `YYYY-MM-DD`, alone or followed by `T...` or by a space and a time,
///   and `YYYY/MM/DD` (month and day of one or two digits): year first;
/// - `YYYYMMDD`;
/// - `d/m/yy` and `d/m/yyyy` with `/`, `.` or `-` (the same twice):
///   day first, month first only when that is the one valid reading
///   (`06/15/2026`); a two-digit year is 20yy.
pub fn text_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let n = |r: std::ops::Range<usize>| text[r].parse::<u32>().ok();
        return ymd(n(0..4)?, n(4..6)?, n(6..8)?);
    }
    let separator = text.bytes().find(|b| matches!(b, b'/' | b'.' | b'-'))?;
    let (date, time) = match text.find(['T', ' ']) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let parts: Vec<&str> = date.split(separator as char).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (na, nb, nc) = (number(a)?, number(b)?, number(c)?);
    if a.len() == 4 {
        // Year first: ISO (`-`, with an optional time) or `/`.
        let time_ok = match separator {
            b'-' => time.is_empty() || time.starts_with('T') || is_time(&time[1..]),
            b'/' => time.is_empty(),
            _ => false,
        };
        return (time_ok && b.len() <= 2 && c.len() <= 2)
            .then(|| ymd(na, nb, nc))
            .flatten();
    }
    if !time.is_empty() || a.len() > 2 || b.len() > 2 {
        return None;
    }
    let year = match c.len() {
        2 => 2000 + nc,
        4 => nc,
        _ => return None,
    };
    ymd(year, nb, na).or_else(|| ymd(year, na, nb))
}

/// `H:MM` or `HH:MM`, then anything (`:SS`, fractions).
fn is_time(text: &str) -> bool {
    let Some((hours, rest)) = text.split_once(':') else {
        return false;
    };
    (1..=2).contains(&hours.len())
        && hours.bytes().all(|b| b.is_ascii_digit())
        && rest.len() >= 2
        && rest.as_bytes()[..2].iter().all(u8::is_ascii_digit)
}

/// The dates read from a column, and how many data rows were dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnDates {
    pub dates: Vec<NaiveDate>,
    pub dropped: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetDatesError {
    #[error("No se pudo abrir el archivo Excel. Comprueba que el fichero no está dañado.")]
    Open,
    #[error("El archivo debe tener al menos dos filas (cabecera + datos).")]
    TooFewRows,
    /// No sheet, too big, too many rows: the reader's own message.
    #[error("{0}")]
    Sheet(SheetError),
}

/// Reads `column` (0-based) of the first visible sheet: every row after the
/// header up to the sheet's last row with a value in any column. The other
/// columns are never materialised.
pub fn column_dates(
    bytes: &[u8],
    limits: &Limits,
    column: u32,
) -> Result<ColumnDates, SheetDatesError> {
    let limits = Limits {
        max_columns: MAX_COLUMNS,
        ..*limits
    };
    let (rows, height) =
        read_cells_with_height(bytes, &limits, |c| c == column).map_err(|err| match err {
            SheetError::Open(_) => SheetDatesError::Open,
            other => SheetDatesError::Sheet(other),
        })?;
    if height > limits.max_rows as usize {
        return Err(SheetDatesError::Sheet(SheetError::TooManyRows(
            limits.max_rows,
        )));
    }
    if height < 2 {
        return Err(SheetDatesError::TooFewRows);
    }
    let mut out = ColumnDates {
        dates: Vec::with_capacity(height - 1),
        dropped: 0,
    };
    for r in 1..height {
        let cell = rows
            .get(r)
            .and_then(|row| row.get(column as usize))
            .and_then(Option::as_ref);
        match cell.and_then(cell_date) {
            Some(date) => out.dates.push(date),
            None => out.dropped += 1,
        }
    }
    Ok(out)
}

/// The warning of a file with dropped rows.
pub fn dropped_warning(dropped: usize) -> Option<String> {
    (dropped > 0).then(|| format!("{dropped} filas descartadas por fecha inválida o celda vacía"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn text_dates() {
        let cases: &[(&str, Option<&str>)] = &[
            // ISO is ISO (pandas with dayfirst swapped it to 2026-05-06).
            ("2026-06-05", Some("2026-06-05")),
            ("  2026-06-05 ", Some("2026-06-05")),
            ("2026-06-05T10:00", Some("2026-06-05")),
            ("2026-06-05T10:00:00.000Z", Some("2026-06-05")),
            ("2026-06-05 10:00", Some("2026-06-05")),
            ("2026-06-05 9:05:00", Some("2026-06-05")),
            ("2026-6-5", Some("2026-06-05")),
            ("2026/06/05", Some("2026-06-05")),
            ("20260605", Some("2026-06-05")),
            // Day first, with any of the three separators.
            ("03/06/26", Some("2026-06-03")),
            ("03/06/2026", Some("2026-06-03")),
            ("3.6.2026", Some("2026-06-03")),
            ("05-06-2026", Some("2026-06-05")),
            ("26-06-05", Some("2005-06-26")),
            ("1/2/26", Some("2026-02-01")),
            // Month first only when day first is impossible.
            ("06/15/2026", Some("2026-06-15")),
            ("12/25/2026", Some("2026-12-25")),
            // Dropped.
            ("31/02/2026", None),
            ("13/13/2026", None),
            ("2026-02-30", None),
            ("2026-06-05 foo", None),
            ("2026-06-05x", None),
            ("2026/06/05 10:00", None),
            ("2026.06.05", None),
            ("03/06-2026", None),
            ("03/06/026", None),
            ("03/06/2026 10:00", None),
            ("003/06/2026", None),
            ("2026", None),
            ("12", None),
            ("Jun 2026", None),
            ("5 jun 2026", None),
            ("abc", None),
            ("", None),
            ("   ", None),
            ("0000-01-01", None),
            ("20261305", None),
            ("=HOY()", None),
            ("-5", None),
            ("3/6/2026\u{0}", None),
        ];
        for (input, expected) in cases {
            assert_eq!(text_date(input), expected.map(d), "{input:?}");
        }
    }

    #[test]
    fn serials_are_dates_of_the_1900_system() {
        let cases: &[(f64, Option<&str>)] = &[
            (46176.0, Some("2026-06-03")),
            (46176.75, Some("2026-06-03")),
            (1.0, Some("1900-01-01")),
            (59.0, Some("1900-02-28")),
            (60.0, None),
            (61.0, Some("1900-03-01")),
            (2_958_465.0, Some("9999-12-31")),
            (2_958_466.0, None),
            (0.5, None),
            (0.0, None),
            (-1.0, None),
            (666_111_444.0, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
        ];
        for (serial, expected) in cases {
            assert_eq!(serial_date(*serial), expected.map(d), "{serial}");
        }
    }

    #[test]
    fn cells_by_kind() {
        let at = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            cell_date(&Cell::DateTime(at("2026-06-03 15:30:00"))),
            Some(d("2026-06-03"))
        );
        assert_eq!(cell_date(&Cell::DateTime(at("1899-12-30 15:00:00"))), None);
        assert_eq!(cell_date(&Cell::DateTime(at("1899-12-31 00:00:00"))), None);
        assert_eq!(cell_date(&Cell::Number(46176.0)), Some(d("2026-06-03")));
        assert_eq!(
            cell_date(&Cell::Text("03/06/26".into())),
            Some(d("2026-06-03"))
        );
        assert_eq!(cell_date(&Cell::Bool(true)), None);
        assert_eq!(
            cell_date(&Cell::Duration(chrono::Duration::hours(30))),
            None
        );
    }

    #[test]
    fn column_letters() {
        let cases: &[(&str, Option<u32>)] = &[
            ("A", Some(0)),
            ("c", Some(2)),
            (" d ", Some(3)),
            ("Z", Some(25)),
            ("AA", Some(26)),
            ("AV", Some(47)),
            ("BJ", Some(61)),
            ("XFD", Some(16_383)),
            ("ZZZ", Some(18_277)),
            ("", None),
            ("  ", None),
            ("A1", None),
            ("Ñ", None),
            ("A B", None),
        ];
        for (letters, expected) in cases {
            assert_eq!(column_index(letters), *expected, "{letters:?}");
        }
    }

    #[test]
    fn warnings_only_when_rows_were_dropped() {
        assert_eq!(dropped_warning(0), None);
        assert_eq!(
            dropped_warning(11).as_deref(),
            Some("11 filas descartadas por fecha inválida o celda vacía")
        );
    }
}
