//! One module per area (English names; Spanish only on the wire): thin
//! handlers and their wire types. Each handler's doc names its route path.

pub mod apartments;
pub mod auth;
pub mod companies;
pub mod health;
pub mod profile;
pub mod users;
