//! `?empresa_id=`: the company a superadmin acts on (the users routes).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::http::auth::AdminOrSuperadmin;
use crate::http::error::AppError;
use crate::http::state::AppState;

pub const MSG_COMPANY_NOT_FOUND: &str = "Empresa no encontrada.";
const MSG_MALFORMED: &str = "empresa_id: Not a valid UUID.";

/// The company acted on: the caller's own, or for a superadmin a non-empty
/// `?empresa_id=` (malformed 422, unknown 404); others' parameter is ignored.
/// Runs `AdminOrSuperadmin` (cached, so a handler may take both). Take it as
/// `Result<TargetCompany, AppError>` where the body must be checked first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetCompany(pub Uuid);

impl FromRequestParts<AppState> for TargetCompany {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AdminOrSuperadmin(caller) = AdminOrSuperadmin::from_request_parts(parts, state).await?;
        let own = caller.company_id();
        if !caller.is_superadmin() {
            return Ok(TargetCompany(own));
        }
        // An unreadable query string counts as no parameter; spaces around the
        // value are ignored, any other character makes it malformed.
        let requested = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|Query(q)| q.get("empresa_id").cloned())
            .map(|v| v.trim_matches(' ').to_string())
            .filter(|v| !v.is_empty());
        let Some(requested) = requested else {
            return Ok(TargetCompany(own));
        };
        let id = hyphenated_uuid(&requested)
            .ok_or_else(|| AppError::unprocessable(vec![MSG_MALFORMED.to_string()]))?;
        if state.store.company(id).await?.is_none() {
            return Err(AppError::not_found(MSG_COMPANY_NOT_FOUND));
        }
        Ok(TargetCompany(id))
    }
}

/// Only the 8-4-4-4-12 form the document's pattern states (not the braced,
/// URN or hyphen-less forms `Uuid::parse_str` also reads).
fn hyphenated_uuid(text: &str) -> Option<Uuid> {
    (text.len() == 36)
        .then(|| Uuid::try_parse(text).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hyphenated_form_is_a_company_id() {
        let id = "6f1c2e4a-0b1d-4c7e-9a55-0c2a1f3b4d5e";
        assert!(hyphenated_uuid(id).is_some());
        assert!(hyphenated_uuid(&id.to_uppercase()).is_some());
        for bad in [
            "6f1c2e4a0b1d4c7e9a550c2a1f3b4d5e",
            "{6f1c2e4a-0b1d-4c7e-9a55-0c2a1f3b4d5e}",
            "\t",
            "nope",
        ] {
            assert!(hyphenated_uuid(bad).is_none(), "{bad}");
        }
    }
}
