//! The public forms: `POST /api/contact` (access request) and
//! `POST /api/contacto` (contact message) in `public.rs`; the superadmin's
//! view of what was received and its delivery state (`/api/solicitudes`)
//! in `admin.rs`. Delivery itself is `jobs::outbox`.

pub mod admin;
pub mod public;
