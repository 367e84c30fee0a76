//! The reservations spreadsheet of the late check-ins (original-domain.md
//! 1.4, original-api.md 13.2): header aliases (first match wins), the
//! company's column letters on top, typed cells converted per field, and
//! the original's warnings. One fix: a text time must be a real clock time.

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde_json::Value;

use crate::domain::spreadsheet::{Cell, Rows, column_index};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Email,
    Phone,
    CheckIn,
    CheckOut,
    Apartment,
    Reference,
    ArrivalTime,
}

const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &[
            "nombre",
            "name",
            "guest",
            "huesped",
            "huésped",
            "guest_name",
            "nombre_huesped",
            "nombre_huésped",
        ],
    ),
    (
        Field::Email,
        &["email", "correo", "e-mail", "mail", "email_huesped"],
    ),
    (
        Field::Phone,
        &["telefono", "teléfono", "phone", "tel", "movil", "móvil"],
    ),
    (
        Field::CheckIn,
        &[
            "checkin",
            "check-in",
            "check_in",
            "fecha_entrada",
            "arrival",
            "entrada",
        ],
    ),
    (
        Field::CheckOut,
        &[
            "checkout",
            "check-out",
            "check_out",
            "fecha_salida",
            "departure",
            "salida",
        ],
    ),
    (
        Field::Apartment,
        &[
            "apartamento",
            "propiedad",
            "apartment",
            "property",
            "alojamiento",
            "unit",
            "unidad",
        ],
    ),
    (
        Field::Reference,
        &[
            "id",
            "id_reserva",
            "booking_id",
            "reserva",
            "reservation_id",
            "ref",
            "referencia",
        ],
    ),
    (
        Field::ArrivalTime,
        &[
            "hora",
            "hora_llegada",
            "hora_entrada",
            "arrival_time",
            "check_in_time",
            "hora_checkin",
            "time",
        ],
    ),
];

/// The settings keys of the column letters, in the order they are applied.
const LETTER_KEYS: &[(&str, Field)] = &[
    ("col_nombre", Field::Name),
    ("col_checkin", Field::CheckIn),
    ("col_hora_llegada", Field::ArrivalTime),
    ("col_telefono", Field::Phone),
    ("col_apartamento", Field::Apartment),
];

pub const MSG_TOO_FEW_ROWS: &str =
    "El archivo debe tener cabeceras en la primera fila y al menos una fila de datos.";
pub const MSG_NO_NAME: &str = "No se encontró columna de nombre del huésped. Cabeceras reconocidas: nombre, name, guest, huesped, guest_name.";

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SheetReservation {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    pub apartment: Option<String>,
    /// The reservation id, or `xlsx-{row}` (never sent).
    pub reference: String,
    /// `HH:MM`, a real clock time.
    pub arrival_time: Option<String>,
}

/// The rows read, and the warnings: row warnings, or the one fatal error
/// (then no rows).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub reservations: Vec<SheetReservation>,
    pub warnings: Vec<String>,
}

impl Parsed {
    pub fn fatal(message: impl Into<String>) -> Parsed {
        Parsed {
            reservations: Vec::new(),
            warnings: vec![message.into()],
        }
    }
}

/// Column overrides from `notificaciones_tardias`: index → field, in the
/// order they are applied; a letter given twice keeps the later field.
pub fn overrides(settings: &Value) -> Vec<(usize, Field)> {
    let mut out: Vec<(usize, Field)> = Vec::new();
    for (key, field) in LETTER_KEYS {
        let Some(index) = settings
            .get(key)
            .and_then(Value::as_str)
            .and_then(column_index)
            .map(|c| c as usize)
        else {
            continue;
        };
        set(&mut out, index, *field);
    }
    out
}

/// Insert or replace, keeping the first position (a Python dict).
fn set(mapping: &mut Vec<(usize, Field)>, index: usize, field: Field) {
    match mapping.iter_mut().find(|(i, _)| *i == index) {
        Some(entry) => entry.1 = field,
        None => mapping.push((index, field)),
    }
}

fn header_field(cell: &Cell) -> Option<Field> {
    let key = cell.text().trim().to_lowercase().replace(' ', "_");
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
        .map(|(field, _)| *field)
}

/// Header columns left to right (first match per field), then the overrides.
pub fn mapping(header: &[Option<Cell>], overrides: &[(usize, Field)]) -> Vec<(usize, Field)> {
    let mut mapping: Vec<(usize, Field)> = Vec::new();
    for (index, cell) in header.iter().enumerate() {
        let Some(field) = cell.as_ref().and_then(header_field) else {
            continue;
        };
        if !mapping.iter().any(|(_, f)| *f == field) {
            mapping.push((index, field));
        }
    }
    for (index, field) in overrides {
        set(&mut mapping, *index, *field);
    }
    mapping
}

/// Excel's day zero: a cell holding a time alone.
fn is_time_only(at: &NaiveDateTime) -> bool {
    at.date() < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// A text time: `HH:MM` first, then anything (`20:00:00`); the hour and
/// minute must be a real clock time.
fn text_time(text: &str) -> Option<String> {
    let head: String = text.chars().take(5).collect();
    let b = head.as_bytes();
    let shaped = head.chars().count() == 5
        && b.len() == 5
        && b[2] == b':'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit());
    let real = shaped && (b[0], b[1]) <= (b'2', b'3') && b[3] <= b'5';
    real.then_some(head)
}

/// The arrival time of a cell, or the warning's `str(value)`.
fn arrival_time(cell: &Cell) -> Result<String, String> {
    match cell {
        Cell::DateTime(at) if is_time_only(at) || at.time() != chrono::NaiveTime::MIN => {
            Ok(format!("{:02}:{:02}", at.hour(), at.minute()))
        }
        // A date alone has no hour (Python's `date`).
        Cell::DateTime(at) => Err(at.date().format("%Y-%m-%d").to_string()),
        other => {
            let text = other.text();
            text_time(text.trim()).ok_or(text)
        }
    }
}

/// Any other field: dates as `YYYY-MM-DD`, a time alone as `HH:MM:SS`, the
/// rest as Python's `str()`, trimmed.
fn value(cell: &Cell) -> String {
    match cell {
        Cell::DateTime(at) if is_time_only(at) => at.format("%H:%M:%S").to_string(),
        Cell::DateTime(at) => at.format("%Y-%m-%d").to_string(),
        other => other.text().trim().to_string(),
    }
}

/// The columns a parse with `overrides` reads, once the header is known;
/// `None` (all of them) without a name column, so that the fatal message
/// still tells a header alone from a sheet without that column.
pub fn needed_columns(header: &[Option<Cell>], overrides: &[(usize, Field)]) -> Option<Vec<usize>> {
    let mapping = mapping(header, overrides);
    mapping
        .iter()
        .any(|(_, f)| *f == Field::Name)
        .then(|| mapping.into_iter().map(|(i, _)| i).collect())
}

/// The parse of a sheet fed row by row (the header first), so a large
/// sheet is never held whole.
pub struct SheetParser {
    mapping: Vec<(usize, Field)>,
    overrides: Vec<(usize, Field)>,
    /// Rows seen so far, the header included (the sheet's length).
    rows: usize,
    parsed: Parsed,
}

impl SheetParser {
    pub fn new(overrides: &[(usize, Field)]) -> SheetParser {
        SheetParser {
            mapping: Vec::new(),
            overrides: overrides.to_vec(),
            rows: 0,
            parsed: Parsed::default(),
        }
    }

    /// Row `index` (0 = the header); rows skipped since the last one were blank.
    pub fn row(&mut self, index: usize, cells: &[Option<Cell>]) {
        if self.rows == 0 {
            let header = if index == 0 { cells } else { &[] };
            self.mapping = mapping(header, &self.overrides);
        }
        if !self.mapping.iter().any(|(_, f)| *f == Field::Name) {
            // Fatal at the end; only the sheet's length still matters.
            self.rows = index + 1;
            return;
        }
        for blank in self.rows.max(1)..index {
            self.parsed.warnings.push(format!(
                "Fila {}: falta el nombre del huésped — fila omitida.",
                blank + 1
            ));
        }
        self.rows = index + 1;
        if index > 0 {
            self.data_row(index + 1, cells);
        }
    }

    fn data_row(&mut self, line: usize, row: &[Option<Cell>]) {
        let mut reservation = SheetReservation::default();
        let mut name = None;
        let mut reference = None;
        for (column, field) in &self.mapping {
            let Some(cell) = row.get(*column).and_then(Option::as_ref) else {
                continue;
            };
            let text = if *field == Field::ArrivalTime {
                match arrival_time(cell) {
                    Ok(time) => Some(time),
                    Err(shown) => {
                        self.parsed.warnings.push(format!(
                            "Fila {line}: valor de hora_llegada no reconocido '{shown}' — ignorado."
                        ));
                        None
                    }
                }
            } else {
                Some(value(cell))
            }
            .filter(|v| !v.is_empty());
            let slot = match field {
                Field::Name => &mut name,
                Field::Email => &mut reservation.email,
                Field::Phone => &mut reservation.phone,
                Field::CheckIn => &mut reservation.check_in,
                Field::CheckOut => &mut reservation.check_out,
                Field::Apartment => &mut reservation.apartment,
                Field::Reference => &mut reference,
                Field::ArrivalTime => &mut reservation.arrival_time,
            };
            *slot = text;
        }
        let Some(name) = name else {
            self.parsed.warnings.push(format!(
                "Fila {line}: falta el nombre del huésped — fila omitida."
            ));
            return;
        };
        reservation.name = name;
        reservation.reference = reference.unwrap_or_else(|| format!("xlsx-{line}"));
        self.parsed.reservations.push(reservation);
    }

    /// Drops the row just read unless `keep` accepts it (call after `row`),
    /// so a caller wanting a few rows of a large sheet holds only those.
    pub fn retain(&mut self, keep: impl Fn(&SheetReservation) -> bool) {
        if self.parsed.reservations.last().is_some_and(|r| !keep(r)) {
            self.parsed.reservations.pop();
        }
    }

    pub fn finish(self) -> Parsed {
        if self.rows < 2 {
            return Parsed::fatal(MSG_TOO_FEW_ROWS);
        }
        if !self.mapping.iter().any(|(_, f)| *f == Field::Name) {
            return Parsed::fatal(MSG_NO_NAME);
        }
        self.parsed
    }
}

/// A whole sheet at once.
pub fn parse(rows: &Rows<Cell>, overrides: &[(usize, Field)]) -> Parsed {
    let mut parser = SheetParser::new(overrides);
    for (index, row) in rows.iter().enumerate() {
        if !row.is_empty() || index == 0 {
            parser.row(index, row);
        }
    }
    parser.finish()
}

#[cfg(test)]
mod tests;
