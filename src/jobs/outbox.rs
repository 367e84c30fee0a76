//! The public forms' notifier: drains `solicitudes_envios` (claimed with a
//! lease, so two instances never send one row twice), sends each delivery on
//! its channel (SMTP e-mail, Discord webhook), retries failures with a
//! doubling delay up to `OUTBOX_MAX_ATTEMPTS`, and deletes submissions older
//! than `SOLICITUDES_RETENTION_DAYS`. A submission wakes it at once; else it
//! runs every `OUTBOX_POLL_MS`, and after a restart it picks up what is due.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::config::{FormsSettings, Settings};
use crate::domain::forms::{
    AccessRequest, ContactMessage, access_embed, access_mail, contact_embed,
};
use crate::integrations::discord::WebhookSender;
use crate::integrations::mail::Mailer;
use crate::store::{ClaimedDelivery, Store};

pub const KIND_ACCESS: &str = "acceso";
pub const KIND_CONTACT: &str = "contacto";
pub const CHANNEL_EMAIL: &str = "email";
pub const CHANNEL_DISCORD: &str = "discord";

/// Longer than any channel's own timeout: a claim outlives its attempt.
const LEASE: Duration = Duration::from_secs(60);
const BATCH: i64 = 20;
const MAX_DELAY: Duration = Duration::from_secs(3600);

/// The channels and where they send.
#[derive(Clone)]
pub struct Channels {
    pub mail: Option<Arc<dyn Mailer>>,
    pub webhooks: Arc<dyn WebhookSender>,
    pub access_webhook: Option<String>,
    pub contact_webhook: Option<String>,
}

impl Channels {
    /// The channels a new submission of `kind` is delivered on.
    pub fn for_kind(&self, kind: &str) -> Vec<&'static str> {
        let mut channels = Vec::new();
        if kind == KIND_ACCESS && self.mail.is_some() {
            channels.push(CHANNEL_EMAIL);
        }
        let webhook = if kind == KIND_ACCESS {
            &self.access_webhook
        } else {
            &self.contact_webhook
        };
        if webhook.is_some() {
            channels.push(CHANNEL_DISCORD);
        }
        channels
    }
}

/// The handle kept in `AppState`: wakes the notifier, stops it on drop.
/// A send in flight is finished and recorded first (so its row is not left
/// leased); an idle notifier stops at once.
pub struct Outbox {
    pub channels: Channels,
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
    task: Mutex<Option<AbortHandle>>,
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        if let Ok(mut task) = self.task.lock() {
            // Detached: it ends after its current delivery.
            task.take();
        }
    }
}

impl Outbox {
    pub fn new(channels: Channels) -> Outbox {
        Outbox {
            channels,
            wake: Arc::new(Notify::new()),
            stop: Arc::new(AtomicBool::new(false)),
            task: Mutex::new(None),
        }
    }

    /// A new submission is due now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Starts the notifier on the current runtime (once).
    pub fn start(&self, store: Store, settings: &Settings) {
        let Ok(mut task) = self.task.lock() else {
            return;
        };
        if task.is_some() {
            return;
        }
        let worker = Worker {
            store,
            channels: self.channels.clone(),
            settings: settings.forms.clone(),
            wake: self.wake.clone(),
            stop: self.stop.clone(),
        };
        *task = Some(tokio::spawn(worker.run()).abort_handle());
    }
}

struct Worker {
    store: Store,
    channels: Channels,
    settings: FormsSettings,
    wake: Arc<Notify>,
    stop: Arc<AtomicBool>,
}

/// The delay before attempt `attempts + 1`: base, doubling, at most an hour.
pub fn retry_delay(base: Duration, attempts: i32) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    base.saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_DELAY)
}

impl Worker {
    async fn run(self) {
        let poll = Duration::from_millis(self.settings.outbox_poll_ms);
        while !self.stopped() {
            self.round().await;
            if self.stopped() {
                break;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    async fn round(&self) {
        let retention = chrono::Duration::days(i64::from(self.settings.retention_days));
        match self.store.purge_submissions(Utc::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "old form submissions deleted"),
            Err(err) => tracing::warn!(error = %err, "purging form submissions failed"),
        }
        loop {
            let now = Utc::now();
            let lease = chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(60));
            let claimed = match self.store.claim_deliveries(now, now + lease, BATCH).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(error = %err, "outbox claim failed");
                    return;
                }
            };
            if claimed.is_empty() {
                return;
            }
            for delivery in claimed {
                if self.stopped() {
                    // Left leased: another notifier takes it when the lease ends.
                    return;
                }
                self.deliver(delivery).await;
            }
        }
    }

    async fn deliver(&self, delivery: ClaimedDelivery) {
        let result = self.send(&delivery).await;
        let stored = match result {
            Ok(()) => {
                tracing::info!(channel = %delivery.channel, kind = %delivery.kind, "form notification sent");
                self.store.delivery_sent(delivery.id).await
            }
            Err(error) => {
                let retry =
                    (delivery.attempts < self.settings.outbox_max_attempts as i32).then(|| {
                        let delay = retry_delay(
                            Duration::from_millis(self.settings.outbox_retry_base_ms),
                            delivery.attempts,
                        );
                        Utc::now()
                            + chrono::Duration::from_std(delay)
                                .unwrap_or(chrono::Duration::hours(1))
                    });
                tracing::warn!(channel = %delivery.channel, attempts = delivery.attempts, retry = retry.is_some(), error = %error, "form notification failed");
                self.store.delivery_failed(delivery.id, &error, retry).await
            }
        };
        if let Err(err) = stored {
            // The lease ends and the delivery is tried again.
            tracing::warn!(error = %err, "outbox state not saved");
        }
    }

    async fn send(&self, delivery: &ClaimedDelivery) -> Result<(), String> {
        let at: DateTime<Utc> = delivery.created_at;
        match (delivery.kind.as_str(), delivery.channel.as_str()) {
            (KIND_ACCESS, CHANNEL_EMAIL) => {
                let form: AccessRequest = serde_json::from_value(delivery.data.clone())
                    .map_err(|e| format!("stored data: {e}"))?;
                let Some(mail) = &self.channels.mail else {
                    return Err("SMTP no configurado".into());
                };
                let (subject, body) = access_mail(&form);
                mail.send(&subject, &body).await
            }
            (KIND_ACCESS, CHANNEL_DISCORD) => {
                let form: AccessRequest = serde_json::from_value(delivery.data.clone())
                    .map_err(|e| format!("stored data: {e}"))?;
                let url = self
                    .channels
                    .access_webhook
                    .as_deref()
                    .ok_or("DISCORD_WEBHOOK_URL no configurado")?;
                self.channels
                    .webhooks
                    .post(url, &access_embed(&form, at))
                    .await
            }
            (KIND_CONTACT, CHANNEL_DISCORD) => {
                let form: ContactMessage = serde_json::from_value(delivery.data.clone())
                    .map_err(|e| format!("stored data: {e}"))?;
                let url = self
                    .channels
                    .contact_webhook
                    .as_deref()
                    .ok_or("DISCORD_WEBHOOK_CONTACT_URL no configurado")?;
                self.channels
                    .webhooks
                    .post(url, &contact_embed(&form, at))
                    .await
            }
            (kind, channel) => Err(format!("no channel {channel} for {kind}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(base, 1), Duration::from_secs(30));
        assert_eq!(retry_delay(base, 2), Duration::from_secs(60));
        assert_eq!(retry_delay(base, 4), Duration::from_secs(240));
        assert_eq!(retry_delay(base, 30), MAX_DELAY);
    }
}
