//! Who is calling: login by email, the per-request token check, and the
//! superadmin that the first start and `create-superadmin` make. Not
//! tenant-scoped: these resolve the tenant.

use uuid::Uuid;

use super::companies::{company_columns, company_from_row, insert_company};
use super::engine::sql;
use super::users::{insert_user, user_columns, user_from, user_from_row};
use super::{NewCompany, NewUser, Role, Store, StoreResult, SuperadminSpec, User, now};

impl Store {
    /// Login: users are looked up by their normalised email across companies.
    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row = sql(concat!(
            "SELECT ",
            user_columns!(),
            " FROM usuarios WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.db)
        .await?;
        user_from(row)
    }

    /// Per-request token check: the user a token names.
    pub async fn user_by_id(&self, user_id: Uuid) -> StoreResult<Option<User>> {
        let row = sql(concat!(
            "SELECT ",
            user_columns!(),
            " FROM usuarios WHERE id = $1"
        ))
        .bind(user_id)
        .fetch_optional(&self.db)
        .await?;
        user_from(row)
    }

    pub async fn superadmin_exists(&self) -> StoreResult<bool> {
        let row = sql("SELECT EXISTS (SELECT 1 FROM usuarios WHERE es_superadmin) AS found")
            .fetch_one(&self.db)
            .await?;
        Ok(row.get("found")?)
    }

    /// Creates (or promotes and re-keys) a superadmin, creating its company
    /// by name if needed. One transaction.
    pub async fn upsert_superadmin(&self, spec: SuperadminSpec) -> StoreResult<User> {
        let mut tx = self.db.begin().await?;
        let existing = sql(concat!(
            "SELECT ",
            user_columns!(),
            " FROM usuarios WHERE email = $1"
        ))
        .bind(&spec.email)
        .fetch_optional(&mut tx)
        .await?;
        let user = if let Some(row) = existing {
            let user = user_from_row(&row)?;
            let row = sql(concat!(
                "UPDATE usuarios SET password_hash = $1, rol = 'admin', es_superadmin = $4, \
                 activo = $4, password_changed_at = $2, tokens_validos_desde = $2, \
                 token_conservado = NULL, password_temporal = $5, updated_at = $2 \
                 WHERE id = $3 RETURNING ",
                user_columns!()
            ))
            .bind(&spec.password_hash)
            .bind(now())
            .bind(user.id)
            .bind(true)
            .bind(false)
            .fetch_one(&mut tx)
            .await?;
            user_from_row(&row)?
        } else {
            let company = sql(concat!(
                "SELECT ",
                company_columns!(),
                " FROM empresas WHERE nombre = $1 ORDER BY created_at LIMIT 1"
            ))
            .bind(&spec.company_name)
            .fetch_optional(&mut tx)
            .await?;
            let company = match company {
                Some(row) => company_from_row(&row)?,
                None => {
                    let new = NewCompany {
                        name: spec.company_name.clone(),
                        email: spec.email.clone(),
                        city: None,
                        password_hash: spec.password_hash.clone(),
                    };
                    insert_company(&mut tx, &new).await?
                }
            };
            let new = NewUser {
                email: spec.email.clone(),
                password_hash: spec.password_hash.clone(),
                role: Role::Admin,
                is_superadmin: true,
                password_changed_at: Some(now()),
                temporary_password: false,
            };
            insert_user(&mut tx, company.id, &new).await?
        };
        tx.commit().await?;
        self.users_changed();
        Ok(user)
    }
}
