//! HTTP: the handlers' shared state, envelope and errors, extractors, middleware
//! and its stack, the documentation pages, the files of WEB_ROOT. The routes themselves are in `app`.

pub mod auth;
pub mod budget;
pub mod cache;
pub mod client_ip;
pub mod cors;
pub mod csrf;
pub mod docs;
pub mod error;
pub mod extract;
pub mod json;
pub mod middleware;
pub mod ratelimit;
pub mod server;
pub mod state;
pub mod web_root;

pub use error::AppError;
pub use json::ApiJson;
