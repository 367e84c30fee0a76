//! Cryptographic pieces with no I/O: access tokens, CSRF tokens, password hashing.

pub mod cipher;
pub mod csrf;
pub mod jwt;
pub mod oauth_state;
pub mod password;
