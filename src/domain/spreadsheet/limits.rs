//! What reading one upload may cost: the limits on the zip and the cells,
//! the errors that say which was passed, and the parse's time budget.

use std::cell::Cell as ThreadCell;
use std::io::Cursor;
use std::time::{Duration, Instant};

/// What an upload may cost at most.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Sum of the declared uncompressed sizes of every part.
    pub max_uncompressed: u64,
    /// Declared uncompressed size of `xl/sharedStrings.xml`.
    pub max_shared_strings: u64,
    /// Parts in the zip.
    pub max_entries: usize,
    /// Largest uncompressed/compressed ratio of a part over 1 MiB.
    pub max_ratio: u64,
    pub max_rows: u32,
    /// Columns past this are ignored.
    pub max_columns: u32,
    /// Text kept from all cells together (shared strings are copied per cell,
    /// so a small file could otherwise ask for gigabytes).
    pub max_text_bytes: usize,
    /// Cells kept from the whole sheet (each costs memory even when short).
    pub max_cells: usize,
    /// Excel's own limit per cell; longer text is cut.
    pub max_cell_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_uncompressed: 200 * 1024 * 1024,
            // The table is held whole while the sheet is read, at several
            // times its size for a table of many short strings.
            max_shared_strings: 16 * 1024 * 1024,
            max_entries: 5_000,
            max_ratio: 200,
            max_rows: 50_000,
            max_columns: 100,
            max_text_bytes: 16 * 1024 * 1024,
            // 50,000 rows of a dozen kept columns.
            max_cells: 600_000,
            max_cell_chars: 32_767,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// Not an XLSX (not a zip, or a zip without a workbook).
    #[error("No se pudo abrir el archivo Excel: {0}")]
    Open(String),
    /// Declared sizes or counts over the limits.
    #[error("El archivo Excel es demasiado grande o está comprimido de forma sospechosa: {0}")]
    TooBig(String),
    #[error("El archivo Excel no tiene hojas de cálculo.")]
    NoSheet,
    #[error("El archivo Excel tiene más de {0} filas.")]
    TooManyRows(u32),
    /// The reading took longer than the parse's time budget.
    #[error(
        "El archivo Excel tarda demasiado en leerse (más de {0} s): revisa que no tenga datos fuera de sus columnas."
    )]
    TooSlow(u64),
}

thread_local! {
    /// When reads on this thread must stop, and the budget it came from.
    static DEADLINE: ThreadCell<Option<(Instant, u64)>> = const { ThreadCell::new(None) };
}

/// Runs `read` with every sheet read on this thread stopped once `budget`
/// has passed ([`SheetError::TooSlow`]). The budget is the scheduler's
/// (the thread that runs the parse), so the parsers need not carry it.
pub fn with_time_budget<T>(budget: Duration, read: impl FnOnce() -> T) -> T {
    struct Restore(Option<(Instant, u64)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.set(self.0);
        }
    }
    let _restore = Restore(DEADLINE.replace(Some((Instant::now() + budget, budget.as_secs()))));
    read()
}

/// `Err` once this thread's time budget has passed.
pub(super) fn within_budget() -> Result<(), SheetError> {
    match DEADLINE.get() {
        Some((deadline, seconds)) if Instant::now() >= deadline => {
            Err(SheetError::TooSlow(seconds))
        }
        _ => Ok(()),
    }
}

/// Checks the zip's central directory against `limits`.
pub(super) fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| SheetError::Open(zip_message(&e)))?;
    if archive.len() > limits.max_entries {
        return Err(SheetError::TooBig(format!("{} partes", archive.len())));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| SheetError::Open(zip_message(&e)))?;
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        total = total.saturating_add(size);
        if size > 1024 * 1024 && size / packed > limits.max_ratio {
            return Err(SheetError::TooBig(format!(
                "{name} se expande {}x",
                size / packed
            )));
        }
        if name.eq_ignore_ascii_case("xl/sharedStrings.xml") && size > limits.max_shared_strings {
            return Err(SheetError::TooBig(format!(
                "tabla de textos de {size} bytes"
            )));
        }
    }
    if total > limits.max_uncompressed {
        return Err(SheetError::TooBig(format!("{total} bytes descomprimido")));
    }
    Ok(())
}

fn zip_message(err: &zip::result::ZipError) -> String {
    match err {
        zip::result::ZipError::InvalidArchive(_) | zip::result::ZipError::UnsupportedArchive(_) => {
            "File is not a zip file".to_string()
        }
        other => other.to_string(),
    }
}
