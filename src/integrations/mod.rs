//! Third-party APIs, one module per provider behind small traits, all on the
//! one outbound HTTP client of `http.rs` (timeouts, size cap, no redirects to
//! other hosts, no private addresses).

pub mod ai;
pub mod beds24;
pub mod discord;
pub mod google;
pub mod http;
pub mod mail;
pub mod pms;
pub mod pms_factory;
pub mod smoobu;
pub mod turnstile;
