//! The integration tests, as one binary (the crate is linked once): the HTTP
//! suites by area over a real server and database (`support`), the store
//! contract and migrations on both engines, the command line, the PMS clients
//! against mock servers, and the spreadsheet reader.

#[macro_use]
mod support;

mod ai_providers;
mod apartments;
mod auth;
mod beds24;
mod cli;
mod contacts;
mod extractors;
mod forms;
mod heatmap;
mod import;
mod infra;
mod late_checkins;
mod metrics;
mod migrations;
mod openapi;
mod slow_clients;
mod smoobu;
mod spreadsheets;
mod store_contract;
mod stored_text;
mod sync;
mod tenants;
mod upload_budget;
mod vault;
mod vault_ai;
mod web_root;
