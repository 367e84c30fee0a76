//! The reservations spreadsheet of the contacts routes (original-domain.md
//! 1.5, original-api.md 13.3): columns from the preferences (1-based) or by
//! header, rows without a name or a usable phone skipped silently, the
//! typology cell's `{id}` groups kept for the catalogue lookup. Read row by
//! row through the guarded reader; only the four columns are materialised.

use chrono::NaiveDate;

use super::preferences::SheetColumns;
use super::{number_text, parse_date, parse_phone};
use crate::domain::reservations_xlsx::MSG_TOO_FEW_ROWS;
use crate::domain::spreadsheet::{Cell, Limits, for_each_row_after_header};

pub const MSG_NO_NAME: &str = "No se encontró columna de nombre del huésped. Configura la posición de columna en el perfil o añade una cabecera reconocida.";

const CHECK_IN: &[&str] = &[
    "checkin",
    "check-in",
    "check_in",
    "fecha_entrada",
    "arrival",
    "entrada",
];
const NAME: &[&str] = &[
    "nombre",
    "name",
    "guest",
    "huesped",
    "huésped",
    "guest_name",
    "referencia",
];
const TYPOLOGY: &[&str] = &[
    "tipologia",
    "tipología",
    "id_tipologia",
    "unit_type",
    "tipo",
];
const PHONE: &[&str] = &["telefono", "teléfono", "phone", "tel", "movil", "móvil"];

/// One usable row.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetGuest {
    pub name: String,
    pub phone: String,
    pub check_in: Option<NaiveDate>,
    /// The `{digits}` groups of the typology cell: apartment `id_pms`s.
    pub typology_ids: Vec<String>,
}

fn header_text(cell: &Option<Cell>) -> Option<String> {
    cell.as_ref()
        .map(|c| c.text().trim().to_lowercase().replace(' ', "_"))
}

/// The configured column (1-based, > 0) or the first header in `aliases`.
fn find(header: &[Option<Cell>], configured: i64, aliases: &[&str]) -> Option<usize> {
    if configured > 0 {
        return usize::try_from(configured - 1).ok();
    }
    header
        .iter()
        .position(|cell| header_text(cell).is_some_and(|h| aliases.contains(&h.as_str())))
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    check_in: Option<usize>,
    name: usize,
    typology: Option<usize>,
    phone: Option<usize>,
}

fn columns(header: &[Option<Cell>], configured: SheetColumns) -> Option<Columns> {
    Some(Columns {
        name: find(header, configured.name, NAME)?,
        check_in: find(header, configured.check_in, CHECK_IN),
        typology: find(header, configured.typology, TYPOLOGY),
        phone: find(header, configured.phone, PHONE),
    })
}

/// `parsear_telefono` of a cell: numbers as `str(int(v))`, booleans as 1/0.
fn phone_of(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Number(n) => parse_phone(&number_text(*n)),
        Cell::Bool(b) => parse_phone(if *b { "1" } else { "0" }),
        other => parse_phone(&other.text()),
    }
}

/// `parsear_fecha` of a cell: date cells as they are, text by its rules.
fn date_of(cell: &Cell) -> Option<NaiveDate> {
    match cell {
        Cell::DateTime(d) => Some(d.date()),
        Cell::Text(t) => parse_date(t),
        _ => None,
    }
}

/// Every `{digits}` group of the text (digits in any script, as Python's `\d`).
pub fn typology_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let digits: String = rest.chars().take_while(|c| c.is_numeric()).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with('}') {
            rest = &rest[digits.len() + 1..];
            out.push(digits);
        }
    }
    out
}

fn guest(cells: &[Option<Cell>], columns: Columns) -> Option<SheetGuest> {
    let at = |index: Option<usize>| index.and_then(|i| cells.get(i)).and_then(Option::as_ref);
    let name = at(Some(columns.name))
        .filter(|c| !matches!(c, Cell::Bool(false)) && !matches!(c, Cell::Number(n) if *n == 0.0))
        .map(Cell::text)
        .filter(|n| !n.trim().is_empty())?;
    let phone = at(columns.phone).and_then(phone_of)?;
    Some(SheetGuest {
        name,
        phone,
        check_in: at(columns.check_in).and_then(date_of),
        typology_ids: at(columns.typology)
            .map(|c| typology_ids(&c.text()))
            .unwrap_or_default(),
    })
}

/// The usable rows, or the one fatal message (unreadable file, no sheet,
/// no data row, no name column).
pub fn read(bytes: &[u8], configured: SheetColumns) -> Result<Vec<SheetGuest>, String> {
    let mapped: std::cell::Cell<Option<Option<Columns>>> = std::cell::Cell::new(None);
    let mut data_rows = 0usize;
    let mut out = Vec::new();
    let read = for_each_row_after_header(
        bytes,
        &Limits::default(),
        |column, header| {
            let wanted = mapped.get().unwrap_or_else(|| columns(header, configured));
            mapped.set(Some(wanted));
            // Without a name column every row is skipped; all are kept to count rows.
            wanted.as_ref().is_none_or(|c| {
                let column = Some(column as usize);
                column == Some(c.name)
                    || column == c.phone
                    || column == c.check_in
                    || column == c.typology
            })
        },
        |index, cells| {
            if index == 0 {
                return;
            }
            data_rows += 1;
            if let Some(Some(columns)) = mapped.get()
                && let Some(row) = guest(&cells, columns)
            {
                out.push(row);
            }
        },
    );
    read.map_err(|e| e.to_string())?;
    if data_rows == 0 {
        return Err(MSG_TOO_FEW_ROWS.to_string());
    }
    match mapped.get() {
        Some(Some(_)) => Ok(out),
        _ => Err(MSG_NO_NAME.to_string()),
    }
}
