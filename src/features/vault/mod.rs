//! The vault of guest-message templates (`/api/vault/...`) and its AI
//! helpers (`/api/ai/...`, `/api/admin/system-prompts/...`).

pub mod templates;
