//! SMTP e-mail of the access requests (original-api.md 12.6) with lettre:
//! Gmail on 587 with STARTTLS by default; host, port and TLS mode
//! (`starttls`, `tls`, `none`) configurable; login with `GMAIL_USER` /
//! `GMAIL_APP_PASSWORD`; plain text from `GMAIL_USER` to `MAIL_RECIPIENT`.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::SmtpTls;

/// Sends one plain-text message to the configured recipient.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, subject: &str, body: &str) -> Result<(), String>;
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Mailbox,
    timeout: Duration,
}

/// What the mailer needs.
pub struct SmtpConfig<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: &'a str,
    pub password: &'a str,
    pub recipient: &'a str,
    pub timeout: Duration,
}

impl SmtpMailer {
    pub fn new(config: SmtpConfig<'_>) -> anyhow::Result<SmtpMailer> {
        crate::integrations::http::install_crypto_provider();
        let builder = match config.tls {
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(config.host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(config.host)?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host),
        };
        let transport: AsyncSmtpTransport<Tokio1Executor> = builder
            .port(config.port)
            .credentials(Credentials::new(
                config.user.to_string(),
                config.password.to_string(),
            ))
            .timeout(Some(config.timeout))
            .build();
        Ok(SmtpMailer {
            transport,
            from: config
                .user
                .parse()
                .map_err(|e| anyhow::anyhow!("GMAIL_USER: {e}"))?,
            to: config
                .recipient
                .parse()
                .map_err(|e| anyhow::anyhow!("MAIL_RECIPIENT: {e}"))?,
            timeout: config.timeout,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, subject: &str, body: &str) -> Result<(), String> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(self.to.clone())
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| format!("message: {e}"))?;
        // The whole exchange is bounded, not only each read.
        let (outcome, result) =
            match tokio::time::timeout(self.timeout * 2, self.transport.send(message)).await {
                Ok(Ok(_)) => ("ok", Ok(())),
                Ok(Err(err)) => ("error", Err(format!("SMTP: {err}"))),
                Err(_) => ("timeout", Err("SMTP: timeout".to_string())),
            };
        crate::metrics::metrics().outbound("smtp", outcome);
        result
    }
}
