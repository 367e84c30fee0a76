//! Pure logic with no I/O: sanitizers, validation rules, password policy,
//! spreadsheet readers, the vault's rules and placeholders.

pub mod apartments_xlsx;
pub mod contacts;
pub mod dates;
pub mod endpoint;
pub mod format;
pub mod forms;
pub mod heatmap;
pub mod json;
pub mod late_checkins;
pub mod password;
pub mod phone;
pub mod placeholders;
pub mod reservations_xlsx;
pub mod sanitize;
pub mod spreadsheet;
pub mod validation;
pub mod vault;
