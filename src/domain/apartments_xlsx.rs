//! The apartments spreadsheet (original-api.md 13.1): header mode with the
//! original's aliases, or the company's column numbers; one catalogue row per
//! data row, or a row error.

use crate::domain::sanitize::single_line;
use crate::domain::spreadsheet::{Cell, Limits, for_each_row_after_header};

/// The company's column numbers (1-based; 0 = not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnOverride {
    pub id: u32,
    pub name: u32,
    pub address: u32,
    pub city: u32,
}

impl ColumnOverride {
    /// From `configuracion.xlsx_apartamentos`; active only with both id and name set.
    pub fn from_settings(value: Option<&serde_json::Value>) -> Option<ColumnOverride> {
        let value = value?;
        let get = |k: &str| {
            value
                .get(k)
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
                .min(u32::MAX as u64) as u32
        };
        let columns = ColumnOverride {
            id: get("col_id_externo"),
            name: get("col_nombre"),
            address: get("col_direccion"),
            city: get("col_ciudad"),
        };
        (columns.id > 0 && columns.name > 0).then_some(columns)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetApartment {
    /// Column A, or the external id when column A is empty: the upsert key.
    pub pms_id: String,
    pub external_id: String,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub apartments: Vec<SheetApartment>,
    /// Row errors (the row is left out) or, when `fatal`, why nothing was read.
    pub errors: Vec<String>,
    pub fatal: bool,
}

const ID_HEADERS: &[&str] = &["id", "id_externo", "identificador"];
const NAME_HEADERS: &[&str] = &["nombre", "name", "propiedad", "apartment"];
const ADDRESS_HEADERS: &[&str] = &["direccion", "dirección", "address"];
const CITY_HEADERS: &[&str] = &["ciudad", "city"];

fn fatal(errors: Vec<String>) -> Parsed {
    Parsed {
        apartments: Vec::new(),
        errors,
        fatal: true,
    }
}

/// Columns (0-based) of each field.
struct Mapping {
    id: Vec<usize>,
    name: Vec<usize>,
    address: Vec<usize>,
    city: Vec<usize>,
}

fn header_mapping(header: &[Option<String>]) -> Result<Mapping, Vec<String>> {
    let columns = |aliases: &[&str]| -> Vec<usize> {
        header
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                h.as_deref()
                    .is_some_and(|h| aliases.contains(&h.trim().to_lowercase().as_str()))
            })
            .map(|(i, _)| i)
            .collect()
    };
    let mapping = Mapping {
        id: columns(ID_HEADERS),
        name: columns(NAME_HEADERS),
        address: columns(ADDRESS_HEADERS),
        city: columns(CITY_HEADERS),
    };
    let mut missing = Vec::new();
    if mapping.id.is_empty() {
        missing.push("No se encontró columna de ID (id, id_externo, identificador).".to_string());
    }
    if mapping.name.is_empty() {
        missing.push(
            "No se encontró columna de nombre (nombre, name, propiedad, apartment).".to_string(),
        );
    }
    if missing.is_empty() {
        Ok(mapping)
    } else {
        Err(missing)
    }
}

/// The right-most non-empty mapped cell, on one line and trimmed (a blank
/// cell gives "").
fn field(row: &[Option<String>], columns: &[usize]) -> Option<String> {
    columns
        .iter()
        .filter_map(|&c| row.get(c).cloned().flatten())
        .map(|v| single_line(&v))
        .next_back()
}

/// Column limits of `apartamentos` (longer values are row errors, not 500s).
fn too_long(apartment: &SheetApartment) -> Option<&'static str> {
    let over = |v: &str, max: usize| v.chars().count() > max;
    if over(&apartment.pms_id, 100) || over(&apartment.external_id, 100) {
        Some("ID")
    } else if over(&apartment.name, 200) {
        Some("nombre")
    } else if apartment.address.as_deref().is_some_and(|a| over(a, 300)) {
        Some("dirección")
    } else if apartment.city.as_deref().is_some_and(|c| over(c, 100)) {
        Some("ciudad")
    } else {
        None
    }
}

const MSG_TOO_FEW_ROWS: &str =
    "El archivo Excel debe tener cabeceras + al menos una fila de datos.";

/// The fields' columns: the company's numbers, or found in the header.
fn mapping_for(
    header: &[Option<String>],
    columns: Option<ColumnOverride>,
) -> Result<Mapping, Vec<String>> {
    let Some(c) = columns else {
        return header_mapping(header);
    };
    let one = |n: u32| {
        if n > 0 {
            vec![n as usize - 1]
        } else {
            Vec::new()
        }
    };
    Ok(Mapping {
        id: one(c.id),
        name: one(c.name),
        address: one(c.address),
        city: one(c.city),
    })
}

impl Mapping {
    /// Column A (the upsert key) and the mapped columns.
    fn reads(&self, column: usize) -> bool {
        column == 0
            || [&self.id, &self.name, &self.address, &self.city]
                .iter()
                .any(|columns| columns.contains(&column))
    }
}

/// One data row (`index` 0-based; row 0 is the header) into `parsed`.
fn parse_row(parsed: &mut Parsed, mapping: &Mapping, index: usize, row: &[Option<String>]) {
    let line = index + 1;
    let column_a = row
        .first()
        .cloned()
        .flatten()
        .map(|v| single_line(&v))
        .filter(|v| !v.is_empty());
    let Some(external_id) = field(row, &mapping.id).filter(|v| !v.is_empty()) else {
        parsed
            .errors
            .push(format!("Fila {line}: falta el ID externo del apartamento."));
        return;
    };
    let Some(name) = field(row, &mapping.name).filter(|v| !v.is_empty()) else {
        parsed
            .errors
            .push(format!("Fila {line}: falta el nombre del apartamento."));
        return;
    };
    let apartment = SheetApartment {
        pms_id: column_a.unwrap_or_else(|| external_id.clone()),
        external_id,
        name,
        address: field(row, &mapping.address),
        city: field(row, &mapping.city),
    };
    if let Some(what) = too_long(&apartment) {
        parsed
            .errors
            .push(format!("Fila {line}: el campo {what} es demasiado largo."));
        return;
    }
    parsed.apartments.push(apartment);
}

/// The apartments of rows already read (row 0 the header).
pub fn parse(rows: &[Vec<Option<String>>], columns: Option<ColumnOverride>) -> Parsed {
    if rows.len() < 2 {
        return fatal(vec![MSG_TOO_FEW_ROWS.to_string()]);
    }
    let mapping = match mapping_for(&rows[0], columns) {
        Ok(mapping) => mapping,
        Err(errors) => return fatal(errors),
    };
    let mut parsed = Parsed::default();
    for (index, row) in rows.iter().enumerate().skip(1) {
        parse_row(&mut parsed, &mapping, index, row);
    }
    parsed
}

/// Reads the upload as [`parse`] reads rows, holding only column A and the
/// mapped columns of one row at a time (a sheet may have 100 columns of
/// 50,000 rows that are not ours to keep). Returns the parsed rows and the
/// number of data rows.
pub fn read(bytes: &[u8], limits: &Limits, columns: Option<ColumnOverride>) -> (Parsed, usize) {
    let texts = |cells: &[Option<Cell>]| -> Vec<Option<String>> {
        cells.iter().map(|c| c.as_ref().map(Cell::text)).collect()
    };
    // `keep` decides from the header alone; the rows are parsed below.
    let mut kept: Option<Option<Mapping>> = None;
    let keep = |column: u32, header: &[Option<Cell>]| {
        kept.get_or_insert_with(|| mapping_for(&texts(header), columns).ok())
            .as_ref()
            .is_some_and(|m| m.reads(column as usize))
    };
    let mut mapping: Option<Result<Mapping, Vec<String>>> = None;
    let mut parsed = Parsed::default();
    let mut next = 1;
    let on_row = |index: usize, cells: Vec<Option<Cell>>| {
        let row = texts(&cells);
        if index == 0 {
            mapping = Some(mapping_for(&row, columns));
            return;
        }
        // A row missing from the stream held none of our columns: it is
        // an empty row to the parser, as in the whole sheet.
        if let Some(Ok(mapping)) = &mapping {
            for empty in next..index {
                parse_row(&mut parsed, mapping, empty, &[]);
            }
            parse_row(&mut parsed, mapping, index, &row);
        }
        next = index + 1;
    };
    let height = match for_each_row_after_header(bytes, limits, keep, on_row) {
        Ok(height) => height,
        Err(err) => return (fatal(vec![err.to_string()]), 0),
    };
    if height < 2 {
        return (fatal(vec![MSG_TOO_FEW_ROWS.to_string()]), 0);
    }
    match mapping {
        Some(Ok(mapping)) => {
            for empty in next..height {
                parse_row(&mut parsed, &mapping, empty, &[]);
            }
            (parsed, height - 1)
        }
        Some(Err(errors)) => (fatal(errors), height - 1),
        // A sheet whose first row is empty: no header to map.
        None => (
            fatal(mapping_for(&[], columns).err().unwrap_or_default()),
            height - 1,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[&str]]) -> Vec<Vec<Option<String>>> {
        data.iter()
            .map(|r| {
                r.iter()
                    .map(|c| (!c.is_empty()).then(|| c.to_string()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn header_mode_with_aliases_and_column_a_as_key() {
        let sheet = rows(&[
            &["Ref", " Name ", "ID", "Dirección", "City", "ciudad"],
            &["101", "Ático", "T1", "C/ Sol 1", "Sevilla", "Cádiz"],
            &["", "Bajo", "T2", "", "", "  "],
            &["103", "", "T3", "", "", ""],
            &["104", "Sin id", "", "", "", ""],
        ]);
        let parsed = parse(&sheet, None);
        assert!(!parsed.fatal);
        assert_eq!(
            parsed.apartments[0],
            SheetApartment {
                pms_id: "101".into(),
                external_id: "T1".into(),
                name: "Ático".into(),
                address: Some("C/ Sol 1".into()),
                city: Some("Cádiz".into())
            }
        );
        assert_eq!(
            parsed.apartments[1].pms_id, "T2",
            "column A empty: the external id is the key"
        );
        assert_eq!(
            parsed.apartments[1].city.as_deref(),
            Some(""),
            "a blank right-most cell wins with an empty value"
        );
        assert_eq!(
            parsed.errors,
            vec![
                "Fila 4: falta el nombre del apartamento.",
                "Fila 5: falta el ID externo del apartamento."
            ]
        );
    }

    #[test]
    fn fatal_errors() {
        assert_eq!(
            parse(&rows(&[&["id", "nombre"]]), None).errors,
            vec!["El archivo Excel debe tener cabeceras + al menos una fila de datos."]
        );
        let parsed = parse(&rows(&[&["x", "y"], &["1", "2"]]), None);
        assert!(parsed.fatal);
        assert_eq!(parsed.errors.len(), 2);
    }

    #[test]
    fn override_mode_ignores_headers() {
        let sheet = rows(&[
            &["ID", "Tipología", "Grupo", "Dirección completa", "Código"],
            &["1", "La Victoria", "XX", "Calle del Faro, 1", "VIC-001"],
        ]);
        let columns = ColumnOverride {
            id: 5,
            name: 2,
            address: 4,
            city: 12,
        };
        let parsed = parse(&sheet, Some(columns));
        assert_eq!(
            parsed.apartments[0],
            SheetApartment {
                pms_id: "1".into(),
                external_id: "VIC-001".into(),
                name: "La Victoria".into(),
                address: Some("Calle del Faro, 1".into()),
                city: None
            }
        );
        assert_eq!(
            ColumnOverride::from_settings(Some(
                &serde_json::json!({"col_id_externo": 0, "col_nombre": 2})
            )),
            None
        );
    }

    #[test]
    fn values_longer_than_their_column_are_row_errors() {
        let long = "x".repeat(201);
        let sheet = rows(&[&["id", "nombre"], &["1", long.as_str()]]);
        assert_eq!(
            parse(&sheet, None).errors,
            vec!["Fila 2: el campo nombre es demasiado largo."]
        );
    }
}
