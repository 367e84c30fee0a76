//! bcrypt hashing (cost 12, `$2b$`, readable by the original) run off the
//! async runtime behind a semaphore, so logins cannot starve other requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Semaphore;

/// Cost of new hashes, as Python's `bcrypt.gensalt()`.
pub const COST: u32 = 12;

/// A cost-12 hash of a random string nobody knows: unknown users are checked
/// against it so they take as long as a wrong password.
const DECOY_HASH: &str = "$2b$12$kVHFLo8r2eE/1i1RggYyDOSBEyqrTTtKol1O0q1Baqlcaj7LVeEOu";

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    cost: u32,
    /// bcrypt verifications run so far (tests check unknown users cost one too).
    verifications: Arc<AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Bcrypt(#[from] bcrypt::BcryptError),
    #[error("password hashing task failed")]
    Join,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        PasswordHasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            cost: COST,
            verifications: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// True when `password` matches `hash`. A malformed hash is a mismatch,
    /// like the original; `None` (unknown user) burns the same time and fails.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Join)?;
        let counter = self.verifications.clone();
        tokio::task::spawn_blocking(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| DECOY_HASH.to_string());
            let matched =
                bcrypt::non_truncating_verify(password.as_bytes(), &hash).unwrap_or(false);
            known && matched
        })
        .await
        .map_err(|_| HashError::Join)
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Join)?;
        let cost = self.cost;
        tokio::task::spawn_blocking(move || hash_now(&password, cost))
            .await
            .map_err(|_| HashError::Join)?
    }
}

/// Synchronous hashing for the command line.
pub fn hash_now(password: &str, cost: u32) -> Result<String, HashError> {
    Ok(bcrypt::non_truncating_hash(password.as_bytes(), cost)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoy_hash_is_a_valid_cost_12_hash() {
        let parts: bcrypt::HashParts = DECOY_HASH.parse().unwrap();
        assert_eq!(parts.get_cost(), COST);
        assert!(!bcrypt::verify("", DECOY_HASH).unwrap());
    }

    #[test]
    fn hashes_made_by_python_bcrypt_verify() {
        // Made by pyca/bcrypt 5 (`bcrypt.hashpw(pw, bcrypt.gensalt(4|5))`).
        let ascii = "$2b$04$a.YoKVBvnIvIlX5qFl3Gju9muPfDkQlzcEmALUKQr6ZwAxhZ4Fj9C";
        let unicode = "$2b$05$JecsyrsdluWPJJP7GMILYuLi2bPuwv0rC61GPFg4KT1tSRQDao2qS";
        assert!(bcrypt::non_truncating_verify("admin123", ascii).unwrap());
        assert!(!bcrypt::non_truncating_verify("admin124", ascii).unwrap());
        assert!(bcrypt::non_truncating_verify("contraseña-é", unicode).unwrap());
        assert!(!bcrypt::non_truncating_verify("contrasena-e", unicode).unwrap());
    }

    #[test]
    fn new_hashes_are_2b_and_verify() {
        let ours = hash_now("admin123", 4).unwrap();
        assert!(ours.starts_with("$2b$04$"));
        assert!(bcrypt::non_truncating_verify("admin123", &ours).unwrap());
        assert!(
            hash_now(&"x".repeat(73), 4).is_err(),
            "over 72 bytes is refused, not truncated"
        );
    }
}
