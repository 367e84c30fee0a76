//! The first superadmin: from `ADMIN_EMAIL`/`ADMIN_PASSWORD`, or generated
//! and printed once, so a fresh install can be used at once.

use base64::Engine as _;
use rand::RngCore;

use crate::domain::password::{length_ok, password_problems};
use crate::domain::sanitize::sanitize_email;
use crate::security::password::{COST, hash_now};
use crate::store::{Store, SuperadminSpec, User};

pub const DEFAULT_ADMIN_EMAIL: &str = "admin@example.com";
pub const DEFAULT_COMPANY: &str = "Stay Sidekick";

/// Checks an email and password as login will: a superadmin must be able to log in.
pub fn check_credentials(email: &str, password: &str) -> anyhow::Result<String> {
    let email = sanitize_email(&email.trim().to_lowercase())
        .ok_or_else(|| anyhow::anyhow!("{email:?} is not a valid email address"))?;
    if !length_ok(password) {
        anyhow::bail!("the password must have 8 to 128 characters");
    }
    if password.contains(['<', '>']) || password.chars().any(|c| (c as u32) < 0x20 && c != '\t') {
        anyhow::bail!(
            "the password may not contain <, > or control characters (login removes them)"
        );
    }
    if let Some(problem) = password_problems(password).first() {
        anyhow::bail!("{problem}");
    }
    Ok(email)
}

/// Creates or promotes a superadmin (command `create-superadmin`).
pub async fn create_superadmin(
    store: &Store,
    email: &str,
    password: &str,
    company: &str,
) -> anyhow::Result<User> {
    let email = check_credentials(email, password)?;
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_now(&password, COST)).await??;
    let user = store
        .upsert_superadmin(SuperadminSpec {
            email,
            password_hash: hash,
            company_name: company.to_string(),
        })
        .await?;
    Ok(user)
}

fn generated_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// On start: if no superadmin exists, create one.
pub async fn ensure_superadmin(
    store: &Store,
    email: Option<&str>,
    password: Option<&str>,
) -> anyhow::Result<()> {
    if store.superadmin_exists().await? {
        return Ok(());
    }
    let email = email
        .filter(|e| !e.trim().is_empty())
        .unwrap_or(DEFAULT_ADMIN_EMAIL);
    match password.filter(|p| !p.is_empty()) {
        Some(password) => {
            let user = create_superadmin(store, email, password, DEFAULT_COMPANY).await?;
            tracing::info!(email = %user.email, "first superadmin created from ADMIN_EMAIL/ADMIN_PASSWORD");
        }
        None => {
            let password = generated_password();
            let user = create_superadmin(store, email, &password, DEFAULT_COMPANY).await?;
            // Printed once, on the terminal only: it is not kept anywhere in clear.
            println!(
                "\n  First superadmin created.\n    email:    {}\n    password: {password}\n  \
                 Change it after logging in (PUT /api/perfil/password).\n",
                user.email
            );
            tracing::info!(email = %user.email, "first superadmin created with a generated password (printed on stdout)");
        }
    }
    Ok(())
}
