//! Pure logic with no I/O: sanitizers, validation rules, password policy.

pub mod password;
pub mod sanitize;
pub mod validation;
