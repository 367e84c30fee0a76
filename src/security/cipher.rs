//! Third-party secrets at rest (PMS keys, AI keys, Google tokens): Fernet with
//! `FERNET_KEY`, byte-compatible with Python's `cryptography` both ways.

#[derive(Clone)]
pub struct SecretBox {
    fernet: Option<std::sync::Arc<fernet::Fernet>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// The server runs without `FERNET_KEY`.
    #[error("FERNET_KEY is not configured")]
    NoKey,
    /// Not a token of this key (wrong key, corrupt value).
    #[error("stored secret cannot be decrypted with this FERNET_KEY")]
    Undecryptable,
}

impl SecretBox {
    /// `None` or an invalid key gives a box that refuses to work.
    pub fn new(key: Option<&str>) -> Self {
        SecretBox {
            fernet: key
                .and_then(|k| fernet::Fernet::new(k.trim()))
                .map(std::sync::Arc::new),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.fernet.is_some()
    }

    pub fn encrypt(&self, plaintext: &str) -> Result<String, CipherError> {
        let fernet = self.fernet.as_ref().ok_or(CipherError::NoKey)?;
        Ok(fernet.encrypt(plaintext.as_bytes()))
    }

    pub fn decrypt(&self, token: &str) -> Result<String, CipherError> {
        let fernet = self.fernet.as_ref().ok_or(CipherError::NoKey)?;
        let bytes = fernet
            .decrypt(token)
            .map_err(|_| CipherError::Undecryptable)?;
        String::from_utf8(bytes).map_err(|_| CipherError::Undecryptable)
    }
}

/// Whether `fernet` accepts `key` (urlsafe base64 of 32 bytes).
pub fn is_valid_key(key: &str) -> bool {
    fernet::Fernet::new(key.trim()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    /// Made by Python `cryptography` 48: `Fernet(KEY).encrypt("sk-live-clave-ñ-123".encode())`.
    const PYTHON_TOKEN: &str = "gAAAAABrB-blx8etqmsvIXE5zDwxBQu8rcxcrIQvfb7a23VkeMYakHeG6fdQz_TOzGtlaVW13yEkMYLAIuA44RUGxbxgGqTQwt4ty_3uHnIlV1KPbisB3zw=";

    #[test]
    fn a_token_made_by_python_decrypts() {
        assert_eq!(
            SecretBox::new(Some(KEY)).decrypt(PYTHON_TOKEN).unwrap(),
            "sk-live-clave-ñ-123"
        );
    }

    #[test]
    fn our_tokens_have_the_fernet_format_and_round_trip() {
        let sbox = SecretBox::new(Some(KEY));
        let token = sbox.encrypt("sk-live-clave-ñ-123").unwrap();
        assert!(token.starts_with("gAAAAA"), "{token}");
        assert_ne!(
            token,
            sbox.encrypt("sk-live-clave-ñ-123").unwrap(),
            "random IV"
        );
        assert_eq!(sbox.decrypt(&token).unwrap(), "sk-live-clave-ñ-123");
    }

    /// Rust to Python: needs Python's `cryptography` (`.ci/run` installs it;
    /// elsewhere the check is skipped when it is missing, never in CI).
    #[test]
    fn our_tokens_decrypt_in_python_when_available() {
        let token = SecretBox::new(Some(KEY)).encrypt("from-rust-ñ").unwrap();
        let script = format!(
            "from cryptography.fernet import Fernet; print(Fernet(b'{KEY}').decrypt(b'{token}').decode())"
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script])
            .output();
        let usable = out
            .as_ref()
            .ok()
            .filter(|o| !String::from_utf8_lossy(&o.stderr).contains("No module named"));
        let Some(out) = usable else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have python3 with cryptography for this check"
            );
            eprintln!("python3 with cryptography not available: skipped");
            return;
        };
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "from-rust-ñ");
    }

    #[test]
    fn wrong_or_missing_keys_are_errors_not_panics() {
        let other = SecretBox::new(Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
        assert_eq!(other.decrypt(PYTHON_TOKEN), Err(CipherError::Undecryptable));
        assert_eq!(
            other.decrypt("not a token"),
            Err(CipherError::Undecryptable)
        );
        let none = SecretBox::new(None);
        assert!(!none.is_configured());
        assert_eq!(none.encrypt("x"), Err(CipherError::NoKey));
        assert!(!SecretBox::new(Some("short")).is_configured());
        assert!(!is_valid_key("short") && is_valid_key(KEY));
    }
}
