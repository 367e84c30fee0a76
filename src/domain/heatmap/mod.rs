//! The heat map's pure logic: the `desde`/`hasta` range as the original reads
//! it (with a maximum span), the Monday-Sunday grid with its per-day level,
//! and the dates of a spreadsheet column.

pub mod grid;
pub mod range;
pub mod sheet;

pub use grid::{Grid, GridDay, Thresholds};
pub use range::{DateRange, RangeError, iso_date, parse_range};
pub use sheet::{
    ColumnDates, SheetDatesError, cell_date, column_dates, column_index, dropped_warning, text_date,
};
