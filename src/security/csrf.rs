//! Signed double-submit CSRF tokens.
//!
//! The contract is the original's (cookie `csrf_token` echoed in the
//! `X-CSRF-Token` header), but a token is `nonce.expiry.mac` with an
//! HMAC-SHA256 under `SECRET_KEY`, so a pair the server never issued fails.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Lifetime of a token and of its cookie (the original's 1 hour).
pub const TOKEN_TTL_SECONDS: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfError {
    /// Cookie or header missing or empty.
    Missing,
    /// They differ, or the token is not one of ours, or it expired.
    Invalid,
}

#[derive(Clone)]
pub struct CsrfKey {
    key: Vec<u8>,
}

/// HMAC-SHA256 keyed with `key`. HMAC accepts keys of any length, so the
/// constructor's error case cannot happen.
fn hmac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes any key length") // ok: cannot fail
}

impl CsrfKey {
    pub fn new(secret_key: &str) -> Self {
        // Domain-separated from other uses of SECRET_KEY.
        let mut mac = hmac(secret_key.as_bytes());
        mac.update(b"stay-sidekick csrf v1");
        CsrfKey {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn mac(&self, body: &str) -> HmacSha256 {
        let mut mac = hmac(&self.key);
        mac.update(body.as_bytes());
        mac
    }

    pub fn issue(&self, now_unix: i64) -> String {
        let mut nonce = [0u8; 18];
        rand::rng().fill_bytes(&mut nonce);
        let body = format!(
            "{}.{:x}",
            URL_SAFE_NO_PAD.encode(nonce),
            now_unix + TOKEN_TTL_SECONDS
        );
        let tag = self.mac(&body).finalize().into_bytes();
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Checks a cookie/header pair in the original's order: presence, then equality,
    /// then (our addition) signature and expiry.
    pub fn verify(
        &self,
        cookie: Option<&str>,
        header: Option<&str>,
        now_unix: i64,
    ) -> Result<(), CsrfError> {
        let (cookie, header) = match (cookie, header) {
            (Some(c), Some(h)) if !c.is_empty() && !h.is_empty() => (c, h),
            _ => return Err(CsrfError::Missing),
        };
        if !bool::from(cookie.as_bytes().ct_eq(header.as_bytes())) {
            return Err(CsrfError::Invalid);
        }
        let (body, tag) = header.rsplit_once('.').ok_or(CsrfError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| CsrfError::Invalid)?;
        self.mac(body)
            .verify_slice(&tag)
            .map_err(|_| CsrfError::Invalid)?;
        let expiry = body
            .rsplit_once('.')
            .and_then(|(_, exp)| i64::from_str_radix(exp, 16).ok())
            .ok_or(CsrfError::Invalid)?;
        if expiry <= now_unix {
            return Err(CsrfError::Invalid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000;

    #[test]
    fn issued_token_verifies_as_cookie_and_header() {
        let key = CsrfKey::new("k");
        let token = key.issue(NOW);
        assert!(token.is_ascii() && !token.contains(['+', '/', '=', ';', ' ']));
        assert_eq!(key.verify(Some(&token), Some(&token), NOW), Ok(()));
    }

    #[test]
    fn missing_mismatched_forged_and_expired_tokens_fail() {
        let key = CsrfKey::new("k");
        let token = key.issue(NOW);
        assert_eq!(key.verify(None, Some(&token), NOW), Err(CsrfError::Missing));
        assert_eq!(
            key.verify(Some(&token), Some(""), NOW),
            Err(CsrfError::Missing)
        );
        let other = key.issue(NOW);
        assert_eq!(
            key.verify(Some(&token), Some(&other), NOW),
            Err(CsrfError::Invalid)
        );
        // An equal pair the server never issued (the original accepted any).
        assert_eq!(
            key.verify(Some("abc"), Some("abc"), NOW),
            Err(CsrfError::Invalid)
        );
        let foreign = CsrfKey::new("other").issue(NOW);
        assert_eq!(
            key.verify(Some(&foreign), Some(&foreign), NOW),
            Err(CsrfError::Invalid)
        );
        assert_eq!(
            key.verify(Some(&token), Some(&token), NOW + TOKEN_TTL_SECONDS),
            Err(CsrfError::Invalid)
        );
    }
}
