//! `plantillas_vault`: the company's guest-message templates. Soft-deleted
//! rows (`activa = false`) are invisible except to delete, which the original
//! lets repeat. The late check-in templates (`categoria = 'checkin_tardio'`,
//! store/late_templates.rs) share the table but are never seen here.

use uuid::Uuid;

use super::engine::{Row, sql};
use super::{Store, StoreResult, now};

/// A row of `plantillas_vault`, as the wire shows it (no timestamps).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: Uuid,
    pub name: String,
    pub content: String,
    pub language: String,
    pub category: Option<String>,
    pub active: bool,
}

/// What a create writes (`activa` is true).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub name: String,
    pub content: String,
    pub language: String,
    pub category: Option<String>,
}

/// What an update writes: `language` only when given, `category` always
/// (`None` clears it, as the original does when the field is omitted).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateUpdate {
    pub name: String,
    pub content: String,
    pub language: Option<String>,
    pub category: Option<String>,
}

/// Optional exact-match filters of the list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TemplateFilter<'a> {
    pub category: Option<&'a str>,
    pub language: Option<&'a str>,
}

macro_rules! template_columns {
    () => {
        "id, nombre, contenido, idioma, categoria, activa"
    };
}

/// Not a late check-in template (those belong to their own routes).
macro_rules! not_late {
    () => {
        "(categoria IS NULL OR categoria <> 'checkin_tardio')"
    };
}

fn template_from_row(row: &Row) -> Result<Template, sqlx::Error> {
    Ok(Template {
        id: row.id("id")?,
        name: row.get("nombre")?,
        content: row.get("contenido")?,
        language: row.get("idioma")?,
        category: row.get("categoria")?,
        active: row.get("activa")?,
    })
}

impl Store {
    /// Active templates, most recently changed first.
    pub async fn templates(
        &self,
        company_id: Uuid,
        filter: TemplateFilter<'_>,
    ) -> StoreResult<Vec<Template>> {
        let rows = sql(concat!(
            "SELECT ",
            template_columns!(),
            " FROM plantillas_vault WHERE empresa_id = $1 AND activa = $2 AND ",
            not_late!(),
            " AND ($3 IS NULL OR categoria = $3) AND ($4 IS NULL OR idioma = $4) \
             ORDER BY updated_at DESC, id"
        ))
        .bind(company_id)
        .bind(true)
        .bind(filter.category)
        .bind(filter.language)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(template_from_row)
            .collect::<Result<_, _>>()?)
    }

    /// One active template of the company.
    pub async fn active_template(
        &self,
        company_id: Uuid,
        template_id: Uuid,
    ) -> StoreResult<Option<Template>> {
        let row = sql(concat!(
            "SELECT ",
            template_columns!(),
            " FROM plantillas_vault WHERE id = $1 AND empresa_id = $2 AND activa = $3 AND ",
            not_late!()
        ))
        .bind(template_id)
        .bind(company_id)
        .bind(true)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(template_from_row).transpose()?)
    }

    pub async fn create_template(
        &self,
        company_id: Uuid,
        new: NewTemplate,
    ) -> StoreResult<Template> {
        let row = sql(concat!(
            "INSERT INTO plantillas_vault (id, empresa_id, nombre, contenido, idioma, categoria, \
             activa, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING ",
            template_columns!()
        ))
        .bind(Uuid::new_v4())
        .bind(company_id)
        .bind(&new.name)
        .bind(&new.content)
        .bind(&new.language)
        .bind(&new.category)
        .bind(true)
        .bind(now())
        .fetch_one(&self.db)
        .await?;
        Ok(template_from_row(&row)?)
    }

    /// `None` when no active template of the company has that id.
    pub async fn update_template(
        &self,
        company_id: Uuid,
        template_id: Uuid,
        update: TemplateUpdate,
    ) -> StoreResult<Option<Template>> {
        let row = sql(concat!(
            "UPDATE plantillas_vault SET nombre = $1, contenido = $2, \
             idioma = COALESCE($3, idioma), categoria = $4, updated_at = $5 \
             WHERE id = $6 AND empresa_id = $7 AND activa = $8 AND ",
            not_late!(),
            " RETURNING ",
            template_columns!()
        ))
        .bind(&update.name)
        .bind(&update.content)
        .bind(&update.language)
        .bind(&update.category)
        .bind(now())
        .bind(template_id)
        .bind(company_id)
        .bind(true)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.as_ref().map(template_from_row).transpose()?)
    }

    /// Soft delete, active or not; false when the company has no such template.
    pub async fn deactivate_template(
        &self,
        company_id: Uuid,
        template_id: Uuid,
    ) -> StoreResult<bool> {
        let changed = sql(concat!(
            "UPDATE plantillas_vault SET activa = $1, updated_at = $2 \
             WHERE id = $3 AND empresa_id = $4 AND ",
            not_late!()
        ))
        .bind(false)
        .bind(now())
        .bind(template_id)
        .bind(company_id)
        .execute(&self.db)
        .await?;
        Ok(changed == 1)
    }
}
