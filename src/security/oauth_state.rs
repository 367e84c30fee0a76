//! The Google OAuth `state`: opaque, signed and expiring, bound to the
//! company and the user that started the consent. `company.user.expiry.nonce`
//! in base64url, then an HMAC-SHA256 under a key derived from `SECRET_KEY`
//! (separated from the CSRF key), so a state is only ever one we issued.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// How long a consent may take (the original's 600 s).
pub const STATE_TTL_SECONDS: i64 = 600;

/// Who started the consent, as the state carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthStart {
    pub company_id: Uuid,
    pub user_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// Not one of ours, or altered.
    Invalid,
    Expired,
}

#[derive(Clone)]
pub struct OAuthStateKey {
    key: Vec<u8>,
}

fn hmac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes any key length") // ok: cannot fail
}

impl OAuthStateKey {
    pub fn new(secret_key: &str) -> Self {
        let mut mac = hmac(secret_key.as_bytes());
        mac.update(b"stay-sidekick google-oauth v1");
        OAuthStateKey {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn mac(&self, body: &str) -> HmacSha256 {
        let mut mac = hmac(&self.key);
        mac.update(body.as_bytes());
        mac
    }

    /// A state valid for `STATE_TTL_SECONDS` from `now_unix`.
    pub fn issue(&self, start: OAuthStart, now_unix: i64) -> String {
        let mut nonce = [0u8; 8];
        rand::rng().fill_bytes(&mut nonce);
        let payload = format!(
            "{}.{}.{:x}.{}",
            start.company_id.simple(),
            start.user_id.simple(),
            now_unix + STATE_TTL_SECONDS,
            URL_SAFE_NO_PAD.encode(nonce)
        );
        let body = URL_SAFE_NO_PAD.encode(payload);
        let tag = self.mac(&body).finalize().into_bytes();
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The company and user of a state we issued that has not expired.
    pub fn verify(&self, state: &str, now_unix: i64) -> Result<OAuthStart, StateError> {
        let (body, tag) = state.rsplit_once('.').ok_or(StateError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| StateError::Invalid)?;
        self.mac(body)
            .verify_slice(&tag)
            .map_err(|_| StateError::Invalid)?;
        let payload = URL_SAFE_NO_PAD
            .decode(body)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(StateError::Invalid)?;
        let mut parts = payload.split('.');
        let (Some(company), Some(user), Some(expiry)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(StateError::Invalid);
        };
        let company_id = Uuid::parse_str(company).map_err(|_| StateError::Invalid)?;
        let user_id = Uuid::parse_str(user).map_err(|_| StateError::Invalid)?;
        let expiry = i64::from_str_radix(expiry, 16).map_err(|_| StateError::Invalid)?;
        if now_unix > expiry {
            return Err(StateError::Expired);
        }
        Ok(OAuthStart {
            company_id,
            user_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> OAuthStart {
        OAuthStart {
            company_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
        }
    }

    #[test]
    fn a_state_round_trips_until_it_expires() {
        let key = OAuthStateKey::new("secret");
        let who = start();
        let state = key.issue(who, 1_000);
        assert_eq!(key.verify(&state, 1_000 + STATE_TTL_SECONDS), Ok(who));
        assert_eq!(
            key.verify(&state, 1_001 + STATE_TTL_SECONDS),
            Err(StateError::Expired)
        );
    }

    #[test]
    fn another_key_or_an_edit_is_refused() {
        let key = OAuthStateKey::new("secret");
        let state = key.issue(start(), 1_000);
        assert_eq!(
            OAuthStateKey::new("other").verify(&state, 1_000),
            Err(StateError::Invalid)
        );
        let (body, tag) = state.rsplit_once('.').unwrap();
        let mut payload = String::from_utf8(URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        payload.replace_range(0..1, if payload.starts_with('0') { "1" } else { "0" });
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(payload));
        assert_eq!(key.verify(&forged, 1_000), Err(StateError::Invalid));
        assert_eq!(key.verify("garbage", 1_000), Err(StateError::Invalid));
    }
}
