//! Submissions of the public forms (`solicitudes`) and their per-channel
//! deliveries (`solicitudes_envios`), the outbox the notifier drains. Not
//! tenant data: the forms are public and only superadmins read them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::engine::{Row, sql};
use super::{Engine, Store, StoreResult, now};

pub const PENDING: &str = "pendiente";
pub const SENT: &str = "enviado";
pub const FAILED: &str = "fallido";

/// One channel's delivery of a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub channel: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A stored submission with its deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub id: Uuid,
    pub kind: String,
    pub data: Value,
    pub handled: bool,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub deliveries: Vec<Delivery>,
}

/// A delivery claimed by one notifier until its lease ends.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub channel: String,
    /// Counting this one.
    pub attempts: i32,
    pub kind: String,
    pub data: Value,
    pub created_at: DateTime<Utc>,
}

const CLAIM_POSTGRES: &str = "UPDATE solicitudes_envios SET bloqueado_hasta = $2, intentos = intentos + 1 \
     WHERE id IN (SELECT id FROM solicitudes_envios WHERE estado = 'pendiente' \
     AND proximo_intento <= $1 AND (bloqueado_hasta IS NULL OR bloqueado_hasta <= $1) \
     ORDER BY proximo_intento LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, solicitud_id, canal, intentos";
/// One statement: SQLite runs it under its single write lock, so two
/// notifiers (even two processes) cannot claim the same row.
const CLAIM_SQLITE: &str = "UPDATE solicitudes_envios SET bloqueado_hasta = $2, intentos = intentos + 1 \
     WHERE id IN (SELECT id FROM solicitudes_envios WHERE estado = 'pendiente' \
     AND proximo_intento <= $1 AND (bloqueado_hasta IS NULL OR bloqueado_hasta <= $1) \
     ORDER BY proximo_intento LIMIT $3) \
     RETURNING id, solicitud_id, canal, intentos";

fn delivery(row: &Row) -> Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        channel: row.get("canal")?,
        state: row.get("estado")?,
        attempts: row.get("intentos")?,
        next_attempt: row.get("proximo_intento")?,
        last_error: row.get("ultimo_error")?,
        sent_at: row.get("enviado_en")?,
    })
}

fn submission(row: &Row) -> Result<Submission, sqlx::Error> {
    Ok(Submission {
        id: row.id("id")?,
        kind: row.get("tipo")?,
        data: row.json("datos")?,
        handled: row.get("atendida")?,
        handled_at: row.get("atendida_en")?,
        created_at: row.get("created_at")?,
        deliveries: Vec::new(),
    })
}

impl Store {
    /// Stores a submission and one pending delivery per channel, due now.
    pub async fn create_submission(
        &self,
        kind: &str,
        data: &Value,
        channels: &[&str],
    ) -> StoreResult<Uuid> {
        let id = Uuid::new_v4();
        let at = now();
        let mut tx = self.db.begin().await?;
        sql(
            "INSERT INTO solicitudes (id, tipo, datos, atendida, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(kind)
        .bind(data)
        .bind(false)
        .bind(at)
        .execute(&mut tx)
        .await?;
        for channel in channels {
            sql(
                "INSERT INTO solicitudes_envios (id, solicitud_id, canal, estado, intentos, \
                 proximo_intento) VALUES ($1, $2, $3, $4, 0, $5)",
            )
            .bind(Uuid::new_v4())
            .bind(id)
            .bind(*channel)
            .bind(PENDING)
            .bind(at)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Claims up to `limit` due deliveries until `lease_until` (counting the
    /// attempt): `FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on
    /// SQLite, so two notifiers never take the same row.
    pub async fn claim_deliveries(
        &self,
        at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let text = match self.engine() {
            Engine::Postgres => CLAIM_POSTGRES,
            Engine::Sqlite => CLAIM_SQLITE,
        };
        let rows = sql(text)
            .bind(at)
            .bind(lease_until)
            .bind(limit)
            .fetch_all(&self.db)
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let submission_id = row.id("solicitud_id")?;
            let Some(parent) = sql("SELECT tipo, datos, created_at FROM solicitudes WHERE id = $1")
                .bind(submission_id)
                .fetch_optional(&self.db)
                .await?
            else {
                continue; // purged meanwhile (the delivery went with it)
            };
            claimed.push(ClaimedDelivery {
                id: row.id("id")?,
                channel: row.get("canal")?,
                attempts: row.get("intentos")?,
                kind: parent.get("tipo")?,
                data: parent.json("datos")?,
                created_at: parent.get("created_at")?,
            });
        }
        Ok(claimed)
    }

    pub async fn delivery_sent(&self, delivery_id: Uuid) -> StoreResult<()> {
        sql(
            "UPDATE solicitudes_envios SET estado = $1, enviado_en = $2, bloqueado_hasta = NULL, \
             ultimo_error = NULL WHERE id = $3",
        )
        .bind(SENT)
        .bind(now())
        .bind(delivery_id)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// A failed attempt: retried at `retry_at`, or given up (`fallido`) without one.
    pub async fn delivery_failed(
        &self,
        delivery_id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let (state, next) = match retry_at {
            Some(at) => (PENDING, at),
            None => (FAILED, now()),
        };
        sql(
            "UPDATE solicitudes_envios SET estado = $1, proximo_intento = $2, \
             bloqueado_hasta = NULL, ultimo_error = $3 WHERE id = $4",
        )
        .bind(state)
        .bind(next)
        .bind(error)
        .bind(delivery_id)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// A page of submissions, newest first, with their deliveries; and the total.
    pub async fn submissions(
        &self,
        page: i64,
        per_page: i64,
    ) -> StoreResult<(Vec<Submission>, i64)> {
        let total: i64 = sql("SELECT COUNT(*) AS n FROM solicitudes")
            .fetch_one(&self.db)
            .await?
            .get("n")?;
        let rows = sql(
            "SELECT id, tipo, datos, atendida, atendida_en, created_at FROM solicitudes \
             ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
        )
        .bind(per_page)
        .bind((page - 1).saturating_mul(per_page))
        .fetch_all(&self.db)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut item = submission(row)?;
            item.deliveries = self.deliveries_of(item.id).await?;
            out.push(item);
        }
        Ok((out, total))
    }

    async fn deliveries_of(&self, submission_id: Uuid) -> StoreResult<Vec<Delivery>> {
        let rows = sql(
            "SELECT canal, estado, intentos, proximo_intento, ultimo_error, enviado_en \
             FROM solicitudes_envios WHERE solicitud_id = $1 ORDER BY canal",
        )
        .bind(submission_id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows.iter().map(delivery).collect::<Result<_, _>>()?)
    }

    /// Marks a submission handled (or not); `None` when there is no such one.
    pub async fn set_submission_handled(
        &self,
        id: Uuid,
        handled: bool,
    ) -> StoreResult<Option<Submission>> {
        let at = handled.then(now);
        let row = sql(
            "UPDATE solicitudes SET atendida = $1, atendida_en = $2 WHERE id = $3 \
             RETURNING id, tipo, datos, atendida, atendida_en, created_at",
        )
        .bind(handled)
        .bind(at)
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut item = submission(&row)?;
        item.deliveries = self.deliveries_of(id).await?;
        Ok(Some(item))
    }

    /// Deletes submissions received before `before` (their deliveries go
    /// with them); how many.
    pub async fn purge_submissions(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.db.begin().await?;
        sql("DELETE FROM solicitudes_envios WHERE solicitud_id IN \
             (SELECT id FROM solicitudes WHERE created_at < $1)")
        .bind(before)
        .execute(&mut tx)
        .await?;
        let deleted = sql("DELETE FROM solicitudes WHERE created_at < $1")
            .bind(before)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }
}
