//! HTTP: envelope and errors, extractors, middleware, the router and its OpenAPI document.

pub mod auth;
pub mod cache;
pub mod cors;
pub mod csrf;
pub mod docs;
pub mod error;
pub mod extract;
pub mod json;
pub mod lenient_json;
pub mod middleware;
pub mod ratelimit;
pub mod router;

pub use error::AppError;
pub use json::ApiJson;
