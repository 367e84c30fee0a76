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

/// A row of `integraciones_google` (the tokens stay encrypted).
#[derive(Debug, Clone, PartialEq)]
pub struct GoogleConnection {
    pub access_token_encrypted: Option<String>,
    pub refresh_token_encrypted: String,
    pub token_expiry: Option<DateTime<Utc>>,
    pub scope: String,
    pub active: bool,
}

fn google_from_row(row: &Row) -> Result<GoogleConnection, sqlx::Error> {
    Ok(GoogleConnection {
        access_token_encrypted: row.get("access_token_cifrado")?,
        refresh_token_encrypted: row.get("refresh_token_cifrado")?,
        token_expiry: row.get("token_expiry")?,
        scope: row.get("alcance")?,
        active: row.get("activo")?,
    })
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

    /// The company's Google connection row, active or not.
    pub async fn google_connection(
        &self,
        company_id: Uuid,
    ) -> StoreResult<Option<GoogleConnection>> {
        let row = sql(
            "SELECT access_token_cifrado, refresh_token_cifrado, token_expiry, alcance, activo \
             FROM integraciones_google WHERE empresa_id = $1",
        )
        .bind(company_id)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(google_from_row).transpose()?)
    }

    /// Creates or replaces the company's connection (tokens, expiry, scope),
    /// active.
    pub async fn save_google_connection(
        &self,
        company_id: Uuid,
        connection: &GoogleConnection,
    ) -> StoreResult<()> {
        sql(
            "INSERT INTO integraciones_google (id, empresa_id, access_token_cifrado, \
             refresh_token_cifrado, token_expiry, alcance, activo, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (empresa_id) DO UPDATE SET \
             access_token_cifrado = excluded.access_token_cifrado, \
             refresh_token_cifrado = excluded.refresh_token_cifrado, \
             token_expiry = excluded.token_expiry, alcance = excluded.alcance, \
             activo = excluded.activo, updated_at = excluded.updated_at",
        )
        .bind(Uuid::new_v4())
        .bind(company_id)
        .bind(connection.access_token_encrypted.as_deref())
        .bind(connection.refresh_token_encrypted.as_str())
        .bind(connection.token_expiry)
        .bind(connection.scope.as_str())
        .bind(connection.active)
        .bind(now())
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Keeps a refreshed access token and its expiry.
    pub async fn update_google_access_token(
        &self,
        company_id: Uuid,
        access_token_encrypted: &str,
        expiry: DateTime<Utc>,
    ) -> StoreResult<()> {
        sql(
            "UPDATE integraciones_google SET access_token_cifrado = $1, token_expiry = $2, \
             updated_at = $3 WHERE empresa_id = $4",
        )
        .bind(access_token_encrypted)
        .bind(expiry)
        .bind(now())
        .bind(company_id)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Marks the connection inactive (Google refused its refresh token).
    pub async fn deactivate_google_connection(&self, company_id: Uuid) -> StoreResult<()> {
        sql("UPDATE integraciones_google SET activo = $1, updated_at = $2 WHERE empresa_id = $3")
            .bind(false)
            .bind(now())
            .bind(company_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Deletes the connection; false when there was none.
    pub async fn delete_google_connection(&self, company_id: Uuid) -> StoreResult<bool> {
        let deleted = sql("DELETE FROM integraciones_google WHERE empresa_id = $1")
            .bind(company_id)
            .execute(&self.db)
            .await?;
        Ok(deleted > 0)
    }

    /// When the newest Google Contacts sync was logged (any outcome).
    pub async fn last_google_sync(&self, company_id: Uuid) -> StoreResult<Option<DateTime<Utc>>> {
        let row = sql(
            "SELECT created_at FROM logs_sincronizacion WHERE empresa_id = $1 AND origen = $2 \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(company_id)
        .bind("google_contacts")
        .fetch_optional(&self.db)
        .await?;
        Ok(row.map(|r| r.get("created_at")).transpose()?)
    }
}
