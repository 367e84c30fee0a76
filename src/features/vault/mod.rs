//! The vault of guest-message templates (`/api/vault/...`) and its AI
//! helpers (`/api/ai/...`, `/api/admin/system-prompts/...`).

pub mod ai;
pub mod assist;
pub mod preview;
pub mod prompts;
pub mod templates;
