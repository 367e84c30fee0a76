//! The three secrets (`SECRET_KEY`, `JWT_SECRET_KEY`, `FERNET_KEY`): from the
//! environment, or on SQLite generated once and kept in `secrets.env` beside
//! the database file, so the first start needs no configuration.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use rand::RngCore;

use super::{SECRETS_FILE, Settings};
use crate::store::Engine;

/// Secrets once resolved (from env, the secrets file, or generated).
#[derive(Clone)]
pub struct Secrets {
    pub secret_key: String,
    pub jwt_secret_key: String,
    /// `None` only on PostgreSQL without `FERNET_KEY`: features that store
    /// third-party keys then answer a clear error.
    pub fernet_key: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

impl Settings {
    /// Resolves the three secrets. On SQLite, missing ones are generated and
    /// kept in `secrets.env` beside the database (owner-only); on PostgreSQL
    /// a missing `SECRET_KEY`/`JWT_SECRET_KEY` is an error.
    pub fn resolve_secrets(&self) -> anyhow::Result<Secrets> {
        let url = self.database_url();
        let given = |v: &Option<String>| v.as_ref().filter(|s| !s.trim().is_empty()).cloned();
        let (mut secret_key, mut jwt_secret_key, mut fernet_key) = (
            given(&self.secret_key),
            given(&self.jwt_secret_key),
            given(&self.fernet_key),
        );

        match Engine::of(&url) {
            Some(Engine::Postgres) => {
                let missing: Vec<&str> = [
                    ("SECRET_KEY", &secret_key),
                    ("JWT_SECRET_KEY", &jwt_secret_key),
                    ("FERNET_KEY", &fernet_key),
                ]
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(name, _)| *name)
                .collect();
                if !missing.is_empty() {
                    bail!(
                        "{} must be set when DATABASE_URL is PostgreSQL (secrets are generated only for the embedded SQLite database)",
                        missing.join(", ")
                    );
                }
            }
            Some(Engine::Sqlite)
                if secret_key.is_none() || jwt_secret_key.is_none() || fernet_key.is_none() =>
            {
                let dir = sqlite_dir(&url);
                let file = dir.join(SECRETS_FILE);
                let mut stored = read_secrets_file(&file)?;
                let mut generated = Vec::new();
                for (name, slot) in [
                    ("SECRET_KEY", &mut secret_key),
                    ("JWT_SECRET_KEY", &mut jwt_secret_key),
                    ("FERNET_KEY", &mut fernet_key),
                ] {
                    if slot.is_some() {
                        continue;
                    }
                    if let Some((_, value)) = stored.iter().find(|(k, _)| k == name) {
                        *slot = Some(value.clone());
                    } else {
                        let value = generate_key();
                        stored.push((name.to_string(), value.clone()));
                        generated.push(name);
                        *slot = Some(value);
                    }
                }
                if !generated.is_empty() {
                    write_secrets_file(&dir, &file, &stored)?;
                    tracing::info!(
                        file = %file.display(),
                        "generated {} and kept them in the secrets file (owner-only)",
                        generated.join(", ")
                    );
                } else {
                    tracing::info!(file = %file.display(), "secrets read from the secrets file");
                }
            }
            _ => {}
        }

        if fernet_key
            .as_deref()
            .is_some_and(|key| !crate::security::cipher::is_valid_key(key))
        {
            bail!("FERNET_KEY must be the urlsafe base64 encoding of 32 bytes");
        }

        Ok(Secrets {
            secret_key: secret_key.context("SECRET_KEY")?,
            jwt_secret_key: jwt_secret_key.context("JWT_SECRET_KEY")?,
            fernet_key,
        })
    }
}

/// 32 random bytes, urlsafe base64 (also a valid Fernet key).
fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE.encode(bytes)
}

/// Directory of a `sqlite:` URL's file (created if missing).
pub fn sqlite_dir(url: &str) -> PathBuf {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    match Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn read_secrets_file(file: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("reading {}", file.display())),
    };
    Ok(text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect())
}

fn write_secrets_file(dir: &Path, file: &Path, entries: &[(String, String)]) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut text = String::from(
        "# Generated by stay-sidekick for the embedded database beside this file.\n\
         # Keep it private: it signs access tokens and encrypts stored keys.\n",
    );
    for (k, v) in entries {
        text.push_str(&format!("{k}={v}\n"));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut handle = options
        .open(file)
        .with_context(|| format!("writing {}", file.display()))?;
    handle.write_all(text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_dir_is_the_database_files_folder() {
        assert_eq!(sqlite_dir("sqlite://./data/x.db"), PathBuf::from("./data"));
        assert_eq!(
            sqlite_dir("sqlite:/tmp/a/b.db?mode=rwc"),
            PathBuf::from("/tmp/a")
        );
        assert_eq!(sqlite_dir("sqlite:x.db"), PathBuf::from("."));
    }
}
