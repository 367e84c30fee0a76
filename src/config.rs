//! Typed settings from the environment (and `.env`), with the original's
//! variable names. Every variable is documented in `stay-sidekick --help`.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use ipnet::IpNet;

use crate::store::Engine;

mod ai;
mod forms;
mod google;
mod ops;
mod secrets;
mod server;
mod uploads;
pub use ai::AiSettings;
pub use forms::{FormsSettings, SmtpTls};
pub use google::GoogleSettings;
pub use ops::OpsSettings;
pub use secrets::{Secrets, sqlite_dir};
pub use server::ServerLimits;
pub use uploads::UploadSettings;

/// Where the embedded database lives when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_PATH: &str = "./data/stay-sidekick.db";
/// File beside the SQLite database that keeps generated secrets.
pub const SECRETS_FILE: &str = "secrets.env";

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 5000)]
    pub port: u16,
    /// `sqlite:PATH` or `postgres://...`. Unset: an embedded SQLite file at ./data/stay-sidekick.db.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Signs CSRF tokens (and, later, the Google OAuth state). Generated for SQLite when unset.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// HS256 key of access tokens. Generated for SQLite when unset.
    #[arg(long, env = "JWT_SECRET_KEY", hide_env_values = true)]
    pub jwt_secret_key: Option<String>,
    /// Lifetime of access tokens, in hours.
    #[arg(long, env = "JWT_ACCESS_TOKEN_HOURS", default_value_t = 1)]
    pub jwt_access_token_hours: u32,
    /// Fernet key (urlsafe base64 of 32 bytes) for third-party keys at rest. Generated for SQLite when unset.
    #[arg(long, env = "FERNET_KEY", hide_env_values = true)]
    pub fernet_key: Option<String>,
    /// Comma-separated origins allowed by CORS (with credentials). Empty: no CORS headers.
    #[arg(long, env = "ALLOWED_ORIGINS", default_value = "")]
    pub allowed_origins: String,
    /// Largest request body accepted, in bytes (larger: 413).
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = 10_485_760)]
    pub max_upload_bytes: usize,
    /// Limit of POST /api/contact per client IP, e.g. `5/hour`.
    #[arg(long, env = "RATE_LIMIT_CONTACT", default_value = "5/hour")]
    pub rate_limit_contact: String,
    /// Limit of every route without a limit of its own, per route and client IP.
    #[arg(long, env = "RATE_LIMIT_DEFAULT", default_value = "600/minute")]
    pub rate_limit_default: String,
    /// `false` turns every rate limit off (load tests).
    #[arg(long, env = "RATELIMIT_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub ratelimit_enabled: bool,
    /// Redis URL: rate-limit counters are shared by every instance using it. Unset: in memory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Comma-separated proxy IPs or CIDRs whose X-Forwarded-For is believed.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// `development` drops the Secure flag of the CSRF cookie (plain-HTTP local setups).
    #[arg(long, env = "FLASK_ENV", default_value = "production")]
    pub flask_env: String,
    /// Log filter (`info`, `debug`, `stay_sidekick=debug,warn`...).
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// `text` or `json` log lines.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: String,
    /// First superadmin's email, used when no superadmin exists yet.
    #[arg(long, env = "ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// First superadmin's password (8 to 128 characters, at most 72 bytes).
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// `true` lets tenants point PMS endpoints at private or loopback addresses
    /// (tests, on-premises PMS). Never in a shared deployment.
    #[arg(long, env = "ALLOW_PRIVATE_PMS_ENDPOINTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_pms_endpoints: bool,
    /// Password hashes computed at once (bcrypt is CPU-bound). 0: one per CPU.
    #[arg(long, env = "BCRYPT_CONCURRENCY", default_value_t = 0)]
    pub bcrypt_concurrency: usize,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_GRACE_SECONDS", default_value_t = 30)]
    pub shutdown_grace_seconds: u64,
    /// Longest heat-map range, in days counted inclusive (longer: 422).
    #[arg(long, env = "HEATMAP_MAX_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u32).range(1..=36_600))]
    pub heatmap_max_days: u32,
    /// SMTP login and sender of the access-request e-mails (with GMAIL_APP_PASSWORD and MAIL_RECIPIENT); also `gmail_configurado`.
    #[arg(long, env = "GMAIL_USER")]
    pub gmail_user: Option<String>,
    /// App password of GMAIL_USER.
    #[arg(long, env = "GMAIL_APP_PASSWORD", hide_env_values = true)]
    pub gmail_app_password: Option<String>,
    #[command(flatten)]
    pub ai: AiSettings,
    #[command(flatten)]
    pub ops: OpsSettings,
    #[command(flatten)]
    pub forms: FormsSettings,
    #[command(flatten)]
    pub google: GoogleSettings,
    #[command(flatten)]
    pub uploads: UploadSettings,
    #[command(flatten)]
    pub server: ServerLimits,
}

/// A comma-separated list of IPs and CIDRs.
fn ip_nets(name: &str, list: &str) -> anyhow::Result<Vec<IpNet>> {
    split_list(list)
        .into_iter()
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .with_context(|| format!("{name}: {item:?} is not an IP or CIDR"))
        })
        .collect()
}

/// A rate: `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub limit: u32,
    pub window: Duration,
}

impl Rate {
    pub const fn per_hour(limit: u32) -> Rate {
        Rate {
            limit,
            window: Duration::from_secs(3600),
        }
    }

    /// Parses flask-limiter's forms: `5/hour`, `5 per hour`, `10/minute`, `100/day`, `2/second`.
    pub fn parse(text: &str) -> anyhow::Result<Rate> {
        let text = text.trim().to_ascii_lowercase();
        let (count, unit) = text
            .split_once('/')
            .or_else(|| text.split_once(" per "))
            .with_context(|| format!("rate {text:?} must look like 5/hour"))?;
        let limit: u32 = count
            .trim()
            .parse()
            .with_context(|| format!("rate {text:?}: bad count"))?;
        let seconds = match unit.trim().trim_end_matches('s') {
            "second" => 1,
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            other => bail!("rate {text:?}: unknown period {other:?}"),
        };
        if limit == 0 {
            bail!("rate {text:?}: the count must be at least 1");
        }
        Ok(Rate {
            limit,
            window: Duration::from_secs(seconds),
        })
    }
}

impl Settings {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => format!("sqlite://{DEFAULT_SQLITE_PATH}"),
        }
    }

    pub fn allowed_origins(&self) -> Vec<String> {
        split_list(&self.allowed_origins)
    }

    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<IpNet>> {
        ip_nets("TRUSTED_PROXIES", &self.trusted_proxies)
    }

    /// Who may read and edit the AI system prompts (`AI_PROMPT_ADMIN_IPS`).
    pub fn prompt_admins(&self) -> anyhow::Result<Vec<IpNet>> {
        ip_nets("AI_PROMPT_ADMIN_IPS", &self.ai.prompt_admin_ips)
    }

    /// Who may read `/metrics` on the main port (`METRICS_ALLOW`).
    pub fn metrics_allow(&self) -> anyhow::Result<Vec<IpNet>> {
        ip_nets("METRICS_ALLOW", &self.ops.metrics_allow)
    }

    /// Both Gmail settings are given (`gmail_configurado`).
    pub fn gmail_configured(&self) -> bool {
        let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        set(&self.gmail_user) && set(&self.gmail_app_password)
    }

    pub fn csrf_cookie_secure(&self) -> bool {
        self.flask_env != "development"
    }

    pub fn bcrypt_permits(&self) -> usize {
        if self.bcrypt_concurrency > 0 {
            self.bcrypt_concurrency
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        }
    }

    /// Checks what can be checked before opening anything.
    pub fn validate(&self) -> anyhow::Result<()> {
        Rate::parse(&self.rate_limit_contact).context("RATE_LIMIT_CONTACT")?;
        Rate::parse(&self.rate_limit_default).context("RATE_LIMIT_DEFAULT")?;
        self.forms.validate()?;
        self.ops.validate()?;
        self.uploads.validate(self.max_upload_bytes)?;
        self.server.validate()?;
        self.trusted_proxies()?;
        if self.jwt_access_token_hours == 0 {
            bail!("JWT_ACCESS_TOKEN_HOURS must be at least 1");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("LOG_FORMAT must be text or json");
        }
        if Engine::of(&self.database_url()).is_none() {
            bail!("DATABASE_URL must start with sqlite: or postgres:");
        }
        Ok(())
    }
}

pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_in_flask_limiter_forms() {
        assert_eq!(Rate::parse("5/hour").unwrap(), Rate::per_hour(5));
        assert_eq!(
            Rate::parse("10 per minute").unwrap().window,
            Duration::from_secs(60)
        );
        assert_eq!(Rate::parse("1000/hours").unwrap().limit, 1000);
        assert!(Rate::parse("0/hour").is_err());
        assert!(Rate::parse("abc").is_err());
        assert!(Rate::parse("5/fortnight").is_err());
    }
}
