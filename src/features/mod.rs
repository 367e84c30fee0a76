//! One module per endpoint group: handlers and wire types (Spanish names on the wire).

pub mod auth;
pub mod health;
