//! `ai_usage_log` and `system_prompts`: the free AI quota of each company and
//! the prompts every instance reads (from the database, so an admin's change
//! reaches all of them at once).
//!
//! A use is reserved before the provider is called and released if the call
//! fails: the count and the insert happen under the company lock, so
//! concurrent requests can never spend more than the quota.

use chrono::{Days, NaiveDate};
use uuid::Uuid;

use super::companies::lock_company;
use super::engine::{On, sql};
use super::{Store, StoreError, StoreResult, now};

/// Uses of the AI counted today and over the last seven days (today included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AiUsage {
    pub today: i64,
    pub week: i64,
}

/// The free quota a use must fit in (`None` for a company's own key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiQuota {
    pub daily: i64,
    pub weekly: i64,
}

/// Result of asking for one use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiReservation {
    /// The id of the usage row now counted; confirm or release it.
    Reserved(Uuid),
    DailyLimit,
    WeeklyLimit,
}

/// The first day of the seven-day window that ends on `today`.
fn week_start(today: NaiveDate) -> NaiveDate {
    today.checked_sub_days(Days::new(6)).unwrap_or(today)
}

async fn usage_in(
    on: impl Into<On<'_>>,
    company_id: Uuid,
    today: NaiveDate,
) -> StoreResult<AiUsage> {
    let row = sql(
        "SELECT COALESCE(SUM(CASE WHEN fecha = $2 THEN 1 ELSE 0 END), 0) AS today, \
         COUNT(*) AS week FROM ai_usage_log WHERE empresa_id = $1 AND fecha >= $3",
    )
    .bind(company_id)
    .bind(today)
    .bind(week_start(today))
    .fetch_one(on)
    .await?;
    Ok(AiUsage {
        today: row.get("today")?,
        week: row.get("week")?,
    })
}

impl Store {
    /// Uses counted for `today` and the six days before it.
    pub async fn ai_usage(&self, company_id: Uuid, today: NaiveDate) -> StoreResult<AiUsage> {
        usage_in(&self.db, company_id, today).await
    }

    /// Counts one use of `action` (`mejorar`, `traducir`) unless `quota` is
    /// spent. Atomic against concurrent reservations of the same company.
    pub async fn reserve_ai_use(
        &self,
        company_id: Uuid,
        action: &'static str,
        today: NaiveDate,
        quota: Option<AiQuota>,
    ) -> StoreResult<AiReservation> {
        let mut tx = self.db.begin().await?;
        if !lock_company(&mut tx, company_id).await? {
            return Err(StoreError::Other(format!(
                "company {company_id} does not exist"
            )));
        }
        if let Some(quota) = quota {
            let usage = usage_in(&mut tx, company_id, today).await?;
            if usage.today >= quota.daily {
                return Ok(AiReservation::DailyLimit);
            }
            if usage.week >= quota.weekly {
                return Ok(AiReservation::WeeklyLimit);
            }
        }
        let id = Uuid::new_v4();
        sql(
            "INSERT INTO ai_usage_log (id, empresa_id, accion, fecha, tokens_usados) \
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(id)
        .bind(company_id)
        .bind(action)
        .bind(today)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(AiReservation::Reserved(id))
    }

    /// Records the tokens a reserved use spent.
    pub async fn confirm_ai_use(
        &self,
        company_id: Uuid,
        usage_id: Uuid,
        tokens: Option<i32>,
    ) -> StoreResult<()> {
        sql("UPDATE ai_usage_log SET tokens_usados = $1 WHERE id = $2 AND empresa_id = $3")
            .bind(tokens)
            .bind(usage_id)
            .bind(company_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Gives back a reserved use whose call failed (failed calls are not counted).
    pub async fn release_ai_use(&self, company_id: Uuid, usage_id: Uuid) -> StoreResult<()> {
        sql("DELETE FROM ai_usage_log WHERE id = $1 AND empresa_id = $2")
            .bind(usage_id)
            .bind(company_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// The stored text of a system prompt, if an admin has set one.
    pub async fn system_prompt(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sql("SELECT contenido FROM system_prompts WHERE nombre = $1")
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        Ok(row.map(|r| r.get("contenido")).transpose()?)
    }

    pub async fn set_system_prompt(&self, name: &str, content: &str) -> StoreResult<()> {
        sql(
            "INSERT INTO system_prompts (nombre, contenido, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (nombre) DO UPDATE SET contenido = excluded.contenido, \
             updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(content)
        .bind(now())
        .execute(&self.db)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_is_today_and_the_six_days_before() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        assert_eq!(
            week_start(today),
            NaiveDate::from_ymd_opt(2026, 2, 23).unwrap_or_default()
        );
    }
}
