//! Reading the first visible sheet of an XLSX upload as rows of text, without
//! trusting the file: the zip's declared sizes are checked before any XML is
//! parsed (zip bombs, huge shared-string tables), and cells are streamed one by
//! one with caps on rows and columns (a sheet may declare billions of cells).

use std::io::{Cursor, Read, Seek};

mod limits;
pub use limits::{Limits, SheetError, with_time_budget};
use limits::{check_zip, within_budget};

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use chrono::NaiveDateTime;

/// A cell with its kind kept: parsers that read dates and times need to
/// know a date cell from the text or the number it shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
    /// A cell formatted as a date, a time or both. A time alone is a date and
    /// time on Excel's day zero (1899-12-30 or 31).
    DateTime(NaiveDateTime),
    /// A cell formatted as a duration (`[h]:mm`).
    Duration(chrono::Duration),
}

impl Cell {
    fn from_data(value: &DataRef<'_>) -> Option<Cell> {
        Some(match value {
            DataRef::Empty | DataRef::Error(_) => return None,
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_string()),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(d) if d.is_duration() => Cell::Duration(d.as_duration()?),
            DataRef::DateTime(d) => Cell::DateTime(d.as_datetime()?),
            DataRef::DateTimeIso(s) => match iso_datetime(s) {
                Some(d) => Cell::DateTime(d),
                None => Cell::Text(s.clone()),
            },
            DataRef::DurationIso(s) => Cell::Text(s.clone()),
        })
    }

    /// Python's `str()` of the value, as the original's parsers used it.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            // openpyxl reads a stored "101" as the integer 101: whole numbers have no ".0".
            Cell::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Cell::Number(f) => f.to_string(),
            Cell::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Cell::DateTime(d) => d.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Duration(d) => {
                let secs = d.num_seconds();
                format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
            }
        }
    }

    fn text_len(&self) -> usize {
        match self {
            Cell::Text(s) => s.len(),
            _ => 0,
        }
    }

    fn cut(&mut self, max_chars: usize) {
        if let Cell::Text(text) = self
            && let Some((cut, _)) = text.char_indices().nth(max_chars)
        {
            text.truncate(cut);
        }
    }
}

/// `2026-06-03` or `2026-06-03T10:00:00` (cells stored as ISO text, `t="d"`).
fn iso_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
}

/// Excel column letters (trimmed, any case) as a 0-based index: `A` = 0,
/// `Z` = 25, `AA` = 26. `None` unless one or more letters A-Z (a non-ASCII
/// letter, which some settings accept as the original did, names no column).
pub fn column_index(letters: &str) -> Option<u32> {
    let letters = letters.trim();
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    letters
        .bytes()
        .try_fold(0u32, |acc, b| {
            acc.checked_mul(26)?
                .checked_add(u32::from(b.to_ascii_uppercase() - b'A') + 1)
        })?
        .checked_sub(1)
}

/// A sheet's rows; `rows[r][c]` is `None` for an empty or skipped cell.
pub type Rows<T> = Vec<Vec<Option<T>>>;

/// The rows of the first visible worksheet (row 0 is the sheet's first row);
/// each row as its cells' text, `None` for empty cells. Trailing empty rows
/// are dropped.
pub fn read_rows(bytes: &[u8], limits: &Limits) -> Result<Rows<String>, SheetError> {
    let rows = read_cells(bytes, limits, |_| true)?;
    Ok(rows
        .into_iter()
        .map(|row| row.into_iter().map(|c| c.map(|c| c.text())).collect())
        .collect())
}

/// As `read_rows`, with each cell's kind kept, and only the columns
/// (0-based) that `keep` accepts: the others are never materialised.
pub fn read_cells(
    bytes: &[u8],
    limits: &Limits,
    keep: impl Fn(u32) -> bool,
) -> Result<Rows<Cell>, SheetError> {
    read_cells_with_height(bytes, limits, keep).map(|(rows, _)| rows)
}

/// As `read_cells`, with the sheet's height: one past its last row holding a
/// value in any column, kept or not (a parser that counts the rows it drops
/// must see rows whose kept columns are all empty). At most `max_rows`.
pub fn read_cells_with_height(
    bytes: &[u8],
    limits: &Limits,
    keep: impl Fn(u32) -> bool,
) -> Result<(Rows<Cell>, usize), SheetError> {
    let (mut workbook, sheet) = open_sheet(bytes, limits)?;
    let mut rows: Rows<Cell> = Vec::new();
    let height = stream_rows(
        &mut workbook,
        &sheet,
        limits,
        |_, column, _| keep(column),
        |index, cells| {
            rows.resize_with(index, Vec::new);
            rows.push(cells);
        },
    )?;
    Ok((rows, height))
}

/// Row by row, for parsers whose columns depend on the header and that need
/// not hold the sheet: the first row is read whole, `keep(column, header)`
/// then chooses the columns of the others, and `on_row(index, cells)` gets
/// each row that has a kept cell, in order (rows without one are skipped).
/// Returns the sheet's height, as `read_cells_with_height`.
pub fn for_each_row_after_header(
    bytes: &[u8],
    limits: &Limits,
    mut keep: impl FnMut(u32, &[Option<Cell>]) -> bool,
    on_row: impl FnMut(usize, Vec<Option<Cell>>),
) -> Result<usize, SheetError> {
    let (mut workbook, sheet) = open_sheet(bytes, limits)?;
    let keep = |row: u32, column, header: &[Option<Cell>]| row == 0 || keep(column, header);
    stream_rows(&mut workbook, &sheet, limits, keep, on_row)
}

/// An upload opened as a workbook.
type Workbook<'a> = Xlsx<Cursor<&'a [u8]>>;

/// The workbook, checked, and the name of its first visible worksheet.
fn open_sheet<'a>(bytes: &'a [u8], limits: &Limits) -> Result<(Workbook<'a>, String), SheetError> {
    check_zip(bytes, limits)?;
    let workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| SheetError::Open(e.to_string()))?;
    let sheet = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .ok_or(SheetError::NoSheet)?;
    Ok((workbook, sheet))
}

/// Streams the sheet's cells, handing each finished row to `on_row`; a
/// cell is kept when `keep(row, column, header)` says so, where `header` is
/// what was kept of row 0. Returns the sheet's height (`read_cells_with_height`).
fn stream_rows<RS: Read + Seek>(
    workbook: &mut Xlsx<RS>,
    sheet: &str,
    limits: &Limits,
    mut keep: impl FnMut(u32, u32, &[Option<Cell>]) -> bool,
    mut on_row: impl FnMut(usize, Vec<Option<Cell>>),
) -> Result<usize, SheetError> {
    let mut reader = workbook
        .worksheet_cells_reader(sheet)
        .map_err(|e| SheetError::Open(e.to_string()))?;
    let mut header: Vec<Option<Cell>> = Vec::new();
    let mut current: Option<(usize, Vec<Option<Cell>>)> = None;
    let mut kept_bytes = 0usize;
    let mut kept_cells = 0usize;
    let mut height = 0usize;
    let mut seen = 0u32;
    within_budget()?;
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| SheetError::Open(e.to_string()))?
    {
        // Skipped cells cost reading too (a sheet may hold millions past
        // the columns it uses): the clock is read every few thousand.
        seen = seen.wrapping_add(1);
        if seen.is_multiple_of(4096) {
            within_budget()?;
        }
        let (row, column) = cell.get_position();
        if !matches!(cell.get_value(), DataRef::Empty) {
            height = height.max(row.saturating_add(1).min(limits.max_rows) as usize);
        }
        if column >= limits.max_columns || !keep(row, column, &header) {
            continue;
        }
        let Some(mut value) = Cell::from_data(cell.get_value()) else {
            continue;
        };
        value.cut(limits.max_cell_chars);
        kept_bytes += value.text_len();
        kept_cells += 1;
        if kept_cells > limits.max_cells {
            return Err(SheetError::TooBig(format!(
                "más de {} celdas",
                limits.max_cells
            )));
        }
        if kept_bytes > limits.max_text_bytes {
            return Err(SheetError::TooBig(format!(
                "más de {} bytes de texto",
                limits.max_text_bytes
            )));
        }
        if row >= limits.max_rows {
            return Err(SheetError::TooManyRows(limits.max_rows));
        }
        let (row, column) = (row as usize, column as usize);
        if current.as_ref().is_some_and(|(index, _)| *index != row)
            && let Some((index, cells)) = current.take()
        {
            on_row(index, cells);
        }
        let (_, cells) = current.get_or_insert_with(|| (row, Vec::new()));
        if cells.len() <= column {
            cells.resize(column + 1, None);
        }
        if row == 0 {
            if header.len() <= column {
                header.resize(column + 1, None);
            }
            header[column] = Some(value.clone());
        }
        cells[column] = Some(value);
    }
    if let Some((index, cells)) = current {
        on_row(index, cells);
    }
    Ok(height)
}
