//! `/api/apartamentos...`: the apartment catalogue, its spreadsheet import,
//! the company's PMS settings and the PMS sync.

pub mod catalogue;
pub mod import;
pub mod pms_config;
