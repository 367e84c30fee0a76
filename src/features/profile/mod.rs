//! `/api/perfil...`: one's own profile and password, and the company's
//! integrations and column settings (writes for admins). original-api.md 6.

pub mod account;
pub mod integrations;
pub mod settings;
