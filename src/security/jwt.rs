//! HS256 access tokens with the original's claims, payload written ASCII-only
//! (`\uXXXX`) as PyJWT does: the web app decodes it with `atob`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::json::to_ascii_json;
use crate::store::User;

/// What a token says, in the original's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub user_id: Uuid,
    pub empresa_id: Uuid,
    pub rol: String,
    pub es_superadmin: bool,
    pub debe_cambiar_password: bool,
    /// Random id (our addition): two logins in the same second get different
    /// tokens, so a password change can tell its own session from the others.
    pub jti: String,
}

/// Like [`Claims`] but every non-essential claim optional, so validly signed
/// tokens of the original with odd payloads decode, and `aud` is seen.
#[derive(Debug, Deserialize)]
struct IncomingClaims {
    iat: i64,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    user_id: Uuid,
    empresa_id: Uuid,
    #[serde(default)]
    aud: Option<serde_json::Value>,
}

/// The parts of a verified token the server relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedToken {
    pub user_id: Uuid,
    pub company_id: Uuid,
    pub issued_at: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime_hours: u32,
    /// Tokens whose signature and claims were already read. A token's bytes
    /// never change what they say, so a session's every request after its
    /// first skips the HMAC and the JSON; the time claims are still checked
    /// against each request's clock.
    seen: Mutex<HashMap<Box<str>, TimedToken>>,
}

/// Most tokens remembered at once; the set starts over when full (it only
/// saves work, it decides nothing).
const SEEN_CAPACITY: usize = 8192;

/// A token that passed the signature and claim checks, with its time claims.
#[derive(Debug, Clone, Copy)]
struct TimedToken {
    token: VerifiedToken,
    expires_at: i64,
    not_before: i64,
}

impl TimedToken {
    fn at(&self, now: i64) -> Option<VerifiedToken> {
        (self.expires_at > now && self.not_before <= now).then_some(self.token)
    }
}

/// SHA-256 (hex) of a token: how the one kept session is remembered.
pub fn fingerprint(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whole seconds from which tokens count again after `from`: the next whole
/// second when `from` has a fraction, since `iat` has no fraction.
pub fn first_valid_second(from: DateTime<Utc>) -> i64 {
    if from.timestamp_subsec_nanos() > 0 {
        from.timestamp() + 1
    } else {
        from.timestamp()
    }
}

const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"; // {"alg":"HS256","typ":"JWT"}

impl TokenKeys {
    pub fn new(secret: &str, lifetime_hours: u32) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        // Time claims are checked in `verify` against the caller's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iat"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            lifetime_hours,
            seen: Mutex::new(HashMap::new()),
        }
    }

    pub fn lifetime_hours(&self) -> u32 {
        self.lifetime_hours
    }

    /// Signs `claims`; `iat`/`exp` are taken as given.
    pub fn sign(&self, claims: &Claims) -> String {
        use base64::Engine as _;
        let payload = to_ascii_json(claims);
        let mut token = String::with_capacity(HEADER_B64.len() + payload.len() * 4 / 3 + 48);
        token.push_str(HEADER_B64);
        token.push('.');
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_string(payload.as_bytes(), &mut token);
        // HMAC signing of bytes cannot fail with an HS256 secret key.
        let signature =
            jsonwebtoken::crypto::sign(token.as_bytes(), &self.encoding, Algorithm::HS256)
                .unwrap_or_default();
        token.push('.');
        token.push_str(&signature);
        token
    }

    /// Builds the claims of a fresh token for `user`.
    pub fn claims_for(
        &self,
        now: DateTime<Utc>,
        user: &User,
        must_change_password: bool,
    ) -> Claims {
        let iat = now.timestamp();
        Claims {
            sub: user.email.clone(),
            iat,
            exp: iat + i64::from(self.lifetime_hours) * 3600,
            user_id: user.id,
            empresa_id: user.company_id,
            rol: user.role.as_str().to_string(),
            es_superadmin: user.is_superadmin,
            debe_cambiar_password: must_change_password,
            jti: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// Verifies signature (HS256 only), `exp` (no leeway), `nbf`, and that
    /// `iat` is present and not in the future. Tokens carrying `aud` are refused.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<VerifiedToken> {
        let now = now.timestamp();
        if let Some(seen) = self.seen().get(token) {
            return seen.at(now);
        }
        let timed = self.decode(token)?;
        let verified = timed.at(now)?;
        let mut seen = self.seen();
        if seen.len() >= SEEN_CAPACITY {
            seen.clear();
        }
        seen.insert(token.into(), timed);
        Some(verified)
    }

    fn seen(&self) -> MutexGuard<'_, HashMap<Box<str>, TimedToken>> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Signature and claims, without the clock.
    fn decode(&self, token: &str) -> Option<TimedToken> {
        let data =
            jsonwebtoken::decode::<IncomingClaims>(token, &self.decoding, &self.validation).ok()?;
        let claims = data.claims;
        if claims.aud.is_some() {
            return None;
        }
        Some(TimedToken {
            token: VerifiedToken {
                user_id: claims.user_id,
                company_id: claims.empresa_id,
                issued_at: claims.iat,
            },
            expires_at: claims.exp,
            // Not valid before it was issued, nor before `nbf`.
            not_before: claims.nbf.map_or(claims.iat, |nbf| nbf.max(claims.iat)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn keys() -> TokenKeys {
        TokenKeys::new("test-secret", 1)
    }

    fn sample(now: DateTime<Utc>) -> Claims {
        let user = User {
            id: Uuid::new_v4(),
            company_id: Uuid::new_v4(),
            email: "josé@example.com".into(),
            password_hash: String::new(),
            role: crate::store::Role::Admin,
            active: true,
            is_superadmin: true,
            password_changed_at: None,
            temporary_password: false,
            tokens_valid_from: None,
            kept_token: None,
            created_at: now,
            updated_at: now,
        };
        keys().claims_for(now, &user, false)
    }

    #[test]
    fn payload_is_ascii_with_the_original_claim_order() {
        let now = Utc::now();
        let token = keys().sign(&sample(now));
        let payload = token.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(
            text.starts_with("{\"sub\":\"jos\\u00e9@example.com\",\"iat\":"),
            "{text}"
        );
        let order: Vec<usize> = [
            "\"sub\"",
            "\"iat\"",
            "\"exp\"",
            "\"user_id\"",
            "\"empresa_id\"",
            "\"rol\"",
            "\"es_superadmin\"",
            "\"debe_cambiar_password\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(
            text.ends_with('}') && text.contains(",\"jti\":\""),
            "{text}"
        );
    }

    #[test]
    fn tokens_of_the_same_user_and_second_differ() {
        let now = Utc::now();
        let a = sample(now);
        let b = Claims {
            jti: uuid::Uuid::new_v4().simple().to_string(),
            ..a.clone()
        };
        assert_ne!(keys().sign(&a), keys().sign(&b));
    }

    #[test]
    fn signed_token_verifies_and_tampering_fails() {
        let now = Utc::now();
        let claims = sample(now);
        let token = keys().sign(&claims);
        let verified = keys().verify(&token, now).unwrap();
        assert_eq!(verified.user_id, claims.user_id);
        assert_eq!(verified.company_id, claims.empresa_id);
        assert!(TokenKeys::new("other", 1).verify(&token, now).is_none());
        let mut broken = token.clone();
        broken.pop();
        assert!(keys().verify(&broken, now).is_none());
    }

    #[test]
    fn expiry_and_future_iat_are_refused() {
        let now = Utc::now();
        let token = keys().sign(&sample(now));
        assert!(
            keys()
                .verify(&token, now + chrono::Duration::seconds(3601))
                .is_none()
        );
        assert!(
            keys()
                .verify(&token, now - chrono::Duration::seconds(5))
                .is_none()
        );
    }

    #[test]
    fn a_remembered_token_is_still_held_to_its_time_claims() {
        let keys = keys();
        let now = Utc::now();
        let token = keys.sign(&sample(now));
        assert!(keys.verify(&token, now).is_some());
        assert_eq!(keys.seen().len(), 1, "the first sight is remembered");
        let later = now + chrono::Duration::seconds(3601);
        assert!(keys.verify(&token, later).is_none(), "expired");
        let earlier = now - chrono::Duration::seconds(5);
        assert!(keys.verify(&token, earlier).is_none(), "issued later");
        assert!(keys.verify(&token, now).is_some());
    }

    #[test]
    fn refused_tokens_are_not_remembered_and_the_set_is_bounded() {
        let keys = keys();
        let now = Utc::now();
        let token = keys.sign(&sample(now));
        let mut forged = token.clone();
        forged.pop();
        assert!(keys.verify(&forged, now).is_none());
        assert!(keys.seen().is_empty());
        for _ in 0..SEEN_CAPACITY + 1 {
            assert!(keys.verify(&keys.sign(&sample(now)), now).is_some());
        }
        assert!(keys.seen().len() <= SEEN_CAPACITY);
    }
}
