//! The late check-in message templates: rows of `plantillas_vault` with
//! `categoria = 'checkin_tardio'`, isolated from the vault's own queries
//! (store/vault.rs). Delete is a hard delete, as the original.

use uuid::Uuid;

use super::engine::{Row, sql};
use super::{Store, StoreResult, now};

/// The category, lower-case as the original writes it.
const CATEGORY: &str = "checkin_tardio";

/// A late check-in template as the wire shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateTemplate {
    pub id: Uuid,
    pub name: String,
    pub content: String,
}

fn from_row(row: &Row) -> Result<LateTemplate, sqlx::Error> {
    Ok(LateTemplate {
        id: row.id("id")?,
        name: row.get("nombre")?,
        content: row.get("contenido")?,
    })
}

impl Store {
    /// Active late templates, oldest first.
    pub async fn late_templates(&self, company_id: Uuid) -> StoreResult<Vec<LateTemplate>> {
        let rows = sql("SELECT id, nombre, contenido FROM plantillas_vault \
             WHERE empresa_id = $1 AND categoria = $2 AND activa = $3 ORDER BY created_at, id")
        .bind(company_id)
        .bind(CATEGORY)
        .bind(true)
        .fetch_all(&self.db)
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    pub async fn create_late_template(
        &self,
        company_id: Uuid,
        name: &str,
        content: &str,
    ) -> StoreResult<LateTemplate> {
        let row = sql(
            "INSERT INTO plantillas_vault (id, empresa_id, nombre, contenido, idioma, categoria, \
             activa, created_at, updated_at) VALUES ($1, $2, $3, $4, 'es', $5, $6, $7, $7) \
             RETURNING id, nombre, contenido",
        )
        .bind(Uuid::new_v4())
        .bind(company_id)
        .bind(name)
        .bind(content)
        .bind(CATEGORY)
        .bind(true)
        .bind(now())
        .fetch_one(&self.db)
        .await?;
        Ok(from_row(&row)?)
    }

    /// `None` when the company has no late template with that id (active
    /// or not, as the original).
    pub async fn update_late_template(
        &self,
        company_id: Uuid,
        template_id: Uuid,
        name: &str,
        content: &str,
    ) -> StoreResult<Option<LateTemplate>> {
        let row = sql(
            "UPDATE plantillas_vault SET nombre = $1, contenido = $2, updated_at = $3 \
             WHERE id = $4 AND empresa_id = $5 AND categoria = $6 \
             RETURNING id, nombre, contenido",
        )
        .bind(name)
        .bind(content)
        .bind(now())
        .bind(template_id)
        .bind(company_id)
        .bind(CATEGORY)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Hard delete; false when the company has no late template with that id.
    pub async fn delete_late_template(
        &self,
        company_id: Uuid,
        template_id: Uuid,
    ) -> StoreResult<bool> {
        let deleted = sql(
            "DELETE FROM plantillas_vault WHERE id = $1 AND empresa_id = $2 AND categoria = $3",
        )
        .bind(template_id)
        .bind(company_id)
        .bind(CATEGORY)
        .execute(&self.db)
        .await?;
        Ok(deleted == 1)
    }
}
