//! One module per endpoint group: handlers and wire types (Spanish names on the wire).

pub mod apartamentos;
pub mod auth;
pub mod empresas;
pub mod health;
pub mod importacion;
pub mod perfil;
pub mod pms;
pub mod usuarios;
pub mod vault;
