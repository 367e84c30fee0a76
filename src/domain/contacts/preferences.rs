//! The contacts preferences (`configuracion.contactos`): stored values over
//! the defaults, key by key, and the four spreadsheet columns likewise.

use serde_json::Value;

pub const DEFAULT_TEMPLATE: &str = "{FECHA} - {APT} - {NOMBRE}";
pub const DEFAULT_SEPARATOR: &str = ", ";
pub const DEFAULT_DATE_FORMAT: &str = "YYMMDD";
/// The output date formats `formato_fecha_salida` accepts.
pub const DATE_FORMATS: &[&str] = &[
    "YYMMDD",
    "YYYYMMDD",
    "DD/MM/YYYY",
    "DD/MM/YY",
    "MM/DD/YYYY",
    "DD-MM-YYYY",
];
/// The column keys of `xlsx_reservas`, in the wire's order.
pub const SHEET_COLUMNS: &[&str] = &["col_checkin", "col_nombre", "col_tipologia", "col_telefono"];

/// 1-based column numbers; 0 or less: find the column by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SheetColumns {
    pub check_in: i64,
    pub name: i64,
    pub typology: i64,
    pub phone: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    pub template: String,
    pub apartment_separator: String,
    pub date_format: String,
    pub columns: SheetColumns,
}

/// An integer as the original's `int()` reads a stored value: numbers and
/// numeric text; anything else is 0.
fn column(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.abs() < 9e15)
                    .map(|f| f.trunc() as i64)
            })
            .unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        Some(Value::Bool(b)) => i64::from(*b),
        _ => 0,
    }
}

impl Preferences {
    /// The stored object (or nothing) over the defaults.
    pub fn from_setting(stored: Option<&Value>) -> Preferences {
        let text = |key: &str, default: &str| {
            stored
                .and_then(|s| s.get(key))
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let sheet = stored.and_then(|s| s.get("xlsx_reservas"));
        let col = |key: &str| column(sheet.and_then(|s| s.get(key)));
        Preferences {
            template: text("plantilla", DEFAULT_TEMPLATE),
            apartment_separator: text("separador_apt", DEFAULT_SEPARATOR),
            date_format: text("formato_fecha_salida", DEFAULT_DATE_FORMAT),
            columns: SheetColumns {
                check_in: col("col_checkin"),
                name: col("col_nombre"),
                typology: col("col_tipologia"),
                phone: col("col_telefono"),
            },
        }
    }

    pub fn name_template(&self) -> super::NameTemplate {
        super::NameTemplate {
            template: self.template.clone(),
            date_format: self.date_format.clone(),
            apartment_separator: self.apartment_separator.clone(),
        }
    }
}
