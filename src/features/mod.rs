//! One module per area (English names; Spanish only on the wire): thin
//! handlers and their wire types. Each handler's doc or route attribute names
//! its path, so grepping a path finds its handler.

pub mod apartments;
pub mod auth;
pub mod companies;
pub mod contacts;
pub mod forms;
pub mod health;
pub mod heatmap;
pub mod late_checkins;
pub mod metrics;
pub mod pms_settings;
pub mod profile;
pub mod shared;
pub mod users;
pub mod vault;
