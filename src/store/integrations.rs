//! A company's connections to third parties: `configuracion_pms`,
//! `configuracion_ia` and `integraciones_google`. Keys stay encrypted here;
//! the handlers decrypt them with the Fernet key.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::engine::{Row, sql};
use super::{Store, StoreResult, now};

/// A row of `configuracion_pms` (the key stays encrypted).
#[derive(Debug, Clone, PartialEq)]
pub struct PmsConfig {
    pub provider: String,
    pub api_key_encrypted: Option<String>,
    /// Smoobu's signing secret (our addition).
    pub api_secret_encrypted: Option<String>,
    pub endpoint: Option<String>,
    pub active: bool,
    pub last_sync: Option<DateTime<Utc>>,
}

/// What a PMS settings save writes.
#[derive(Debug, Clone, PartialEq)]
pub struct PmsSettings {
    pub provider: String,
    pub api_key_encrypted: String,
    pub api_secret_encrypted: Option<String>,
    /// `None` keeps the stored endpoint (NULL on insert); `Some` replaces it.
    pub endpoint: Option<Option<String>>,
}

/// A row of `configuracion_ia` (the key stays encrypted).
#[derive(Debug, Clone, PartialEq)]
pub struct AiConfig {
    pub provider: String,
    pub model: Option<String>,
    pub api_key_encrypted: Option<String>,
    pub active: bool,
    /// Base URL of a company's own OpenAI-compatible server (ours).
    pub endpoint: Option<String>,
}

fn pms_from_row(row: &Row) -> Result<PmsConfig, sqlx::Error> {
    Ok(PmsConfig {
        provider: row.get("proveedor")?,
        api_key_encrypted: row.get("api_key_cifrada")?,
        api_secret_encrypted: row.get("api_secret_cifrada")?,
        endpoint: row.get("endpoint")?,
        active: row.get("activo")?,
        last_sync: row.get("ultimo_sync")?,
    })
}

impl Store {
    pub async fn pms_config(&self, company_id: Uuid) -> StoreResult<Option<PmsConfig>> {
        let row = sql(
            "SELECT proveedor, api_key_cifrada, api_secret_cifrada, endpoint, activo, ultimo_sync \
             FROM configuracion_pms WHERE empresa_id = $1",
        )
        .bind(company_id)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(pms_from_row).transpose()?)
    }

    /// Creates or updates the company's PMS settings; returns them.
    pub async fn save_pms_config(
        &self,
        company_id: Uuid,
        settings: PmsSettings,
    ) -> StoreResult<PmsConfig> {
        let row = sql(
            "INSERT INTO configuracion_pms (id, empresa_id, proveedor, api_key_cifrada, \
             api_secret_cifrada, endpoint, activo, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (empresa_id) DO UPDATE SET proveedor = excluded.proveedor, \
             api_key_cifrada = excluded.api_key_cifrada, \
             api_secret_cifrada = excluded.api_secret_cifrada, \
             endpoint = CASE WHEN $9 THEN excluded.endpoint ELSE configuracion_pms.endpoint END, \
             activo = excluded.activo, updated_at = excluded.updated_at \
             RETURNING proveedor, api_key_cifrada, api_secret_cifrada, endpoint, activo, ultimo_sync",
        )
        .bind(Uuid::new_v4())
        .bind(company_id)
        .bind(&settings.provider)
        .bind(&settings.api_key_encrypted)
        .bind(&settings.api_secret_encrypted)
        .bind(settings.endpoint.as_ref().and_then(Option::as_deref))
        .bind(true)
        .bind(now())
        .bind(settings.endpoint.is_some())
        .fetch_one(&self.db)
        .await?;
        Ok(pms_from_row(&row)?)
    }

    pub async fn delete_pms_config(&self, company_id: Uuid) -> StoreResult<bool> {
        let deleted = sql("DELETE FROM configuracion_pms WHERE empresa_id = $1")
            .bind(company_id)
            .execute(&self.db)
            .await?;
        Ok(deleted > 0)
    }

    pub async fn ai_config(&self, company_id: Uuid) -> StoreResult<Option<AiConfig>> {
        let row = sql(
            "SELECT proveedor, modelo, api_key_cifrada, activo, endpoint FROM configuracion_ia \
             WHERE empresa_id = $1",
        )
        .bind(company_id)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(AiConfig {
            provider: row.get("proveedor")?,
            model: row.get("modelo")?,
            api_key_encrypted: row.get("api_key_cifrada")?,
            active: row.get("activo")?,
            endpoint: row.get("endpoint")?,
        }))
    }

    /// Creates or replaces provider, model, key and endpoint (each
    /// overwritten, `None` included).
    pub async fn save_ai_config(
        &self,
        company_id: Uuid,
        provider: &str,
        model: Option<&str>,
        api_key_encrypted: Option<&str>,
        endpoint: Option<&str>,
    ) -> StoreResult<()> {
        sql(
            "INSERT INTO configuracion_ia (id, empresa_id, proveedor, modelo, api_key_cifrada, \
             activo, created_at, updated_at, endpoint) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) \
             ON CONFLICT (empresa_id) DO UPDATE SET proveedor = excluded.proveedor, \
             modelo = excluded.modelo, api_key_cifrada = excluded.api_key_cifrada, \
             activo = excluded.activo, updated_at = excluded.updated_at, \
             endpoint = excluded.endpoint",
        )
        .bind(Uuid::new_v4())
        .bind(company_id)
        .bind(provider)
        .bind(model)
        .bind(api_key_encrypted)
        .bind(true)
        .bind(now())
        .bind(endpoint)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub async fn delete_ai_config(&self, company_id: Uuid) -> StoreResult<bool> {
        let deleted = sql("DELETE FROM configuracion_ia WHERE empresa_id = $1")
            .bind(company_id)
            .execute(&self.db)
            .await?;
        Ok(deleted > 0)
    }

    /// An active Google Contacts connection exists.
    pub async fn google_connected(&self, company_id: Uuid) -> StoreResult<bool> {
        let row = sql("SELECT EXISTS (SELECT 1 FROM integraciones_google \
             WHERE empresa_id = $1 AND activo = $2) AS found")
        .bind(company_id)
        .bind(true)
        .fetch_one(&self.db)
        .await?;
        Ok(row.get("found")?)
    }
}
