//! Pure logic with no I/O: sanitizers, validation rules, password policy.

pub mod apartments_xlsx;
pub mod dates;
pub mod endpoint;
pub mod format;
pub mod json;
pub mod password;
pub mod sanitize;
pub mod spreadsheet;
pub mod validation;
