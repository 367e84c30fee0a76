//! Settings of the two public forms (`POST /api/contact`, `POST /api/contacto`):
//! Turnstile, the notification channels (SMTP e-mail and Discord webhooks),
//! the outbox that delivers them and how long submissions are kept.
//! `GMAIL_USER` and `GMAIL_APP_PASSWORD` stay in `Settings` (the profile
//! reports them as `gmail_configurado`).

use clap::Args;

pub const TURNSTILE_DEFAULT_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

#[derive(Debug, Clone, PartialEq, Args)]
pub struct FormsSettings {
    /// Cloudflare Turnstile secret. Unset: verification is still asked (with an
    /// empty secret, which Cloudflare refuses), so every form is refused, as the original.
    #[arg(long, env = "TURNSTILE_SECRET_KEY", hide_env_values = true)]
    pub turnstile_secret_key: Option<String>,
    /// Turnstile's siteverify endpoint (a local fake in tests and browser runs).
    #[arg(long, env = "TURNSTILE_VERIFY_URL", default_value = TURNSTILE_DEFAULT_URL)]
    pub turnstile_verify_url: String,
    /// Milliseconds Turnstile gets to answer; slower is a refusal (fail closed).
    #[arg(long, env = "TURNSTILE_TIMEOUT_MS", default_value_t = 5000)]
    pub turnstile_timeout_ms: u64,
    /// Recipient of the access-request e-mails (with GMAIL_USER and GMAIL_APP_PASSWORD).
    #[arg(long, env = "MAIL_RECIPIENT")]
    pub mail_recipient: Option<String>,
    /// SMTP server of the access-request e-mails.
    #[arg(long, env = "SMTP_HOST", default_value = "smtp.gmail.com")]
    pub smtp_host: String,
    /// SMTP port.
    #[arg(long, env = "SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// `starttls` (port 587), `tls` (implicit TLS, port 465) or `none` (local relays and tests only).
    #[arg(long, env = "SMTP_TLS", default_value = "starttls")]
    pub smtp_tls: String,
    /// Seconds an SMTP exchange may take (the original: 10).
    #[arg(long, env = "SMTP_TIMEOUT_SECONDS", default_value_t = 10)]
    pub smtp_timeout_seconds: u64,
    /// Discord webhook of the access requests. Unset: not sent.
    #[arg(long, env = "DISCORD_WEBHOOK_URL", hide_env_values = true)]
    pub discord_webhook_url: Option<String>,
    /// Discord webhook of the contact form. Unset: not sent.
    #[arg(long, env = "DISCORD_WEBHOOK_CONTACT_URL", hide_env_values = true)]
    pub discord_webhook_contact_url: Option<String>,
    /// Days a submission is kept; older ones are deleted with their delivery state.
    #[arg(long, env = "SOLICITUDES_RETENTION_DAYS", default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..=36_600))]
    pub retention_days: u32,
    /// Milliseconds between two outbox rounds (a submission also wakes it at once).
    #[arg(long, env = "OUTBOX_POLL_MS", default_value_t = 15_000)]
    pub outbox_poll_ms: u64,
    /// First retry delay in milliseconds; it doubles on each failure, up to an hour.
    #[arg(long, env = "OUTBOX_RETRY_BASE_MS", default_value_t = 30_000)]
    pub outbox_retry_base_ms: u64,
    /// Attempts per channel before a delivery is given up (`fallido`).
    #[arg(long, env = "OUTBOX_MAX_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub outbox_max_attempts: u32,
}

impl Default for FormsSettings {
    /// The documented defaults (what `--help` shows), for hand-built settings.
    fn default() -> Self {
        FormsSettings {
            turnstile_secret_key: None,
            turnstile_verify_url: TURNSTILE_DEFAULT_URL.into(),
            turnstile_timeout_ms: 5000,
            mail_recipient: None,
            smtp_host: "smtp.gmail.com".into(),
            smtp_port: 587,
            smtp_tls: "starttls".into(),
            smtp_timeout_seconds: 10,
            discord_webhook_url: None,
            discord_webhook_contact_url: None,
            retention_days: 180,
            outbox_poll_ms: 15_000,
            outbox_retry_base_ms: 30_000,
            outbox_max_attempts: 10,
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

impl FormsSettings {
    pub fn smtp_tls_mode(&self) -> anyhow::Result<SmtpTls> {
        match self.smtp_tls.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" | "ssl" => Ok(SmtpTls::Tls),
            "none" => Ok(SmtpTls::None),
            other => anyhow::bail!("SMTP_TLS must be starttls, tls or none (got {other:?})"),
        }
    }

    /// A set, non-blank value.
    pub fn given(value: &Option<String>) -> Option<&str> {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.smtp_tls_mode()?;
        url::Url::parse(&self.turnstile_verify_url)
            .map_err(|e| anyhow::anyhow!("TURNSTILE_VERIFY_URL: {e}"))?;
        for (name, value) in [
            ("DISCORD_WEBHOOK_URL", &self.discord_webhook_url),
            (
                "DISCORD_WEBHOOK_CONTACT_URL",
                &self.discord_webhook_contact_url,
            ),
        ] {
            if let Some(url) = Self::given(value) {
                url::Url::parse(url).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            }
        }
        if self.outbox_poll_ms == 0 || self.outbox_retry_base_ms == 0 {
            anyhow::bail!("OUTBOX_POLL_MS and OUTBOX_RETRY_BASE_MS must be at least 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        forms: FormsSettings,
    }

    #[test]
    fn default_is_what_the_command_line_gives() {
        let vars = [
            "TURNSTILE_SECRET_KEY",
            "TURNSTILE_VERIFY_URL",
            "TURNSTILE_TIMEOUT_MS",
            "MAIL_RECIPIENT",
            "SMTP_HOST",
            "SMTP_PORT",
            "SMTP_TLS",
            "SMTP_TIMEOUT_SECONDS",
            "DISCORD_WEBHOOK_URL",
            "DISCORD_WEBHOOK_CONTACT_URL",
            "SOLICITUDES_RETENTION_DAYS",
            "OUTBOX_POLL_MS",
            "OUTBOX_RETRY_BASE_MS",
            "OUTBOX_MAX_ATTEMPTS",
        ];
        if let Some(set) = vars.iter().find(|v| std::env::var_os(v).is_some()) {
            eprintln!("{set} is set: the defaults cannot be read from the command line");
            return;
        }
        assert_eq!(Cli::parse_from(["test"]).forms, FormsSettings::default());
    }

    #[test]
    fn tls_modes() {
        let mut s = FormsSettings::default();
        assert_eq!(s.smtp_tls_mode().unwrap(), SmtpTls::StartTls);
        s.smtp_tls = "TLS".into();
        assert_eq!(s.smtp_tls_mode().unwrap(), SmtpTls::Tls);
        s.smtp_tls = "none".into();
        assert_eq!(s.smtp_tls_mode().unwrap(), SmtpTls::None);
        s.smtp_tls = "plain".into();
        assert!(s.validate().is_err());
    }
}
