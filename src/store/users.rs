//! `usuarios`: who is calling (login, the per-request token check, the first
//! superadmin) and the users of one company, with the rules that must hold
//! under concurrency (user limit, last admin) checked under the company lock.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::companies::{company_settings, lock_company};
use super::engine::{On, Row, Tx, sql};
use super::{Store, StoreError, StoreResult, conflict_as, max_users, now};

/// Role of a user inside their company (`usuarios.rol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Operations,
}

impl Role {
    /// The value stored in `usuarios.rol` and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operations => "operativo",
        }
    }

    /// Reads a stored role. Anything but `admin` grants no admin rights.
    pub fn from_db(value: &str) -> Role {
        if value == "admin" {
            Role::Admin
        } else {
            Role::Operations
        }
    }
}

/// A row of `usuarios`.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub company_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub active: bool,
    pub is_superadmin: bool,
    pub password_changed_at: Option<DateTime<Utc>>,
    /// The password was handed out (creation, an admin's reset): sessions
    /// serve only the password change until the user picks their own.
    pub temporary_password: bool,
    /// Tokens issued before this instant are refused (our addition)...
    pub tokens_valid_from: Option<DateTime<Utc>>,
    /// ...except the one whose SHA-256 (hex) this is: the session that
    /// changed its own password.
    pub kept_token: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub is_superadmin: bool,
    pub password_changed_at: Option<DateTime<Utc>>,
    /// See [`User::temporary_password`].
    pub temporary_password: bool,
}

/// A password replacement and the sessions it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordChange {
    pub hash: String,
    /// Handed out by an admin (see [`User::temporary_password`]).
    pub temporary: bool,
    pub changed_at: DateTime<Utc>,
    pub tokens_valid_from: DateTime<Utc>,
    pub kept_token: Option<String>,
    /// When set, the change applies only if the stored hash is still this one.
    pub replaces_hash: Option<String>,
}

/// One change to a user row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UserChange {
    Role(Role),
    Active(bool),
    Superadmin(bool),
    /// Refuses every token of the user issued before this instant.
    TokensValidFrom(DateTime<Utc>),
}

/// Result of adding a user under the company's user limit.
#[derive(Debug, Clone, PartialEq)]
pub enum AddUser {
    Added(User),
    /// The company already has this many users or more.
    LimitReached(i64),
    EmailTaken,
}

/// Result of removing a user while keeping the company's last admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveUser {
    Removed,
    NotFound,
    /// The acting user tried to remove themselves.
    OwnAccount,
    LastAdmin,
}

/// Result of changing a role while keeping the company's last admin.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeRole {
    Changed(User),
    NotFound,
    LastAdmin,
}

/// What `create-superadmin` and the first start need, done in one transaction.
#[derive(Debug, Clone)]
pub struct SuperadminSpec {
    pub email: String,
    pub password_hash: String,
    pub company_name: String,
}

macro_rules! user_columns {
    () => {
        "id, empresa_id, email, password_hash, rol, activo, es_superadmin, \
         password_changed_at, password_temporal, tokens_validos_desde, token_conservado, \
         created_at, updated_at"
    };
}
pub(super) use user_columns;

pub(super) fn user_from_row(row: &Row) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.id("id")?,
        company_id: row.id("empresa_id")?,
        email: row.get("email")?,
        password_hash: row.get("password_hash")?,
        role: Role::from_db(&row.get::<String>("rol")?),
        active: row.get("activo")?,
        is_superadmin: row.get("es_superadmin")?,
        password_changed_at: row.get("password_changed_at")?,
        temporary_password: row.get("password_temporal")?,
        tokens_valid_from: row.get("tokens_validos_desde")?,
        kept_token: row.get("token_conservado")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

pub(super) fn user_from(row: Option<Row>) -> StoreResult<Option<User>> {
    Ok(row.as_ref().map(user_from_row).transpose()?)
}

pub(super) async fn insert_user(
    on: impl Into<On<'_>>,
    company_id: Uuid,
    new: &NewUser,
) -> StoreResult<User> {
    let at = now();
    let row = sql(concat!(
        "INSERT INTO usuarios (id, empresa_id, email, password_hash, rol, activo, es_superadmin, \
         password_changed_at, password_temporal, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9) RETURNING ",
        user_columns!()
    ))
    .bind(Uuid::new_v4())
    .bind(company_id)
    .bind(&new.email)
    .bind(&new.password_hash)
    .bind(new.role.as_str())
    .bind(true)
    .bind(new.is_superadmin)
    .bind(new.password_changed_at)
    .bind(at)
    .bind(new.temporary_password)
    .fetch_one(on)
    .await
    .map_err(|e| conflict_as(e, "usuarios.email"))?;
    Ok(user_from_row(&row)?)
}

async fn company_user(tx: &mut Tx, company_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>> {
    let row = sql(concat!(
        "SELECT ",
        user_columns!(),
        " FROM usuarios WHERE id = $1 AND empresa_id = $2"
    ))
    .bind(user_id)
    .bind(company_id)
    .fetch_optional(tx)
    .await?;
    user_from(row)
}

async fn admin_count(tx: &mut Tx, company_id: Uuid) -> StoreResult<i64> {
    let row = sql("SELECT COUNT(*) AS n FROM usuarios WHERE empresa_id = $1 AND rol = 'admin'")
        .bind(company_id)
        .fetch_one(tx)
        .await?;
    Ok(row.get("n")?)
}

/// Users of one company.
impl Store {
    pub async fn create_user(&self, company_id: Uuid, new: NewUser) -> StoreResult<User> {
        insert_user(&self.db, company_id, &new).await
    }

    /// Users of the company, oldest first.
    pub async fn users(&self, company_id: Uuid) -> StoreResult<Vec<User>> {
        let rows = sql(concat!(
            "SELECT ",
            user_columns!(),
            " FROM usuarios WHERE empresa_id = $1 ORDER BY created_at, id"
        ))
        .bind(company_id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows.iter().map(user_from_row).collect::<Result<_, _>>()?)
    }

    pub async fn user(&self, company_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>> {
        let row = sql(concat!(
            "SELECT ",
            user_columns!(),
            " FROM usuarios WHERE id = $1 AND empresa_id = $2"
        ))
        .bind(user_id)
        .bind(company_id)
        .fetch_optional(&self.db)
        .await?;
        user_from(row)
    }

    /// Adds a user unless the company is at its `max_usuarios` or the email
    /// is taken (in any company). Atomic against concurrent additions.
    pub async fn add_user_within_limit(
        &self,
        company_id: Uuid,
        new: NewUser,
    ) -> StoreResult<AddUser> {
        let mut tx = self.db.begin().await?;
        if !lock_company(&mut tx, company_id).await? {
            return Err(StoreError::Other(format!(
                "company {company_id} does not exist"
            )));
        }
        let max = max_users(&company_settings(&mut tx, company_id).await?);
        let count: i64 = sql("SELECT COUNT(*) AS n FROM usuarios WHERE empresa_id = $1")
            .bind(company_id)
            .fetch_one(&mut tx)
            .await?
            .get("n")?;
        if count >= max {
            return Ok(AddUser::LimitReached(max));
        }
        let taken: bool = sql("SELECT EXISTS (SELECT 1 FROM usuarios WHERE email = $1) AS found")
            .bind(&new.email)
            .fetch_one(&mut tx)
            .await?
            .get("found")?;
        if taken {
            return Ok(AddUser::EmailTaken);
        }
        let user = match insert_user(&mut tx, company_id, &new).await {
            Ok(user) => user,
            // Taken meanwhile by another company's transaction.
            Err(StoreError::Conflict(_)) => return Ok(AddUser::EmailTaken),
            Err(other) => return Err(other),
        };
        tx.commit().await?;
        Ok(AddUser::Added(user))
    }

    /// Deletes a user unless it is `acting_user_id` or the company's last admin.
    pub async fn remove_user(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        acting_user_id: Uuid,
    ) -> StoreResult<RemoveUser> {
        let mut tx = self.db.begin().await?;
        if !lock_company(&mut tx, company_id).await? {
            return Ok(RemoveUser::NotFound);
        }
        let Some(user) = company_user(&mut tx, company_id, user_id).await? else {
            return Ok(RemoveUser::NotFound);
        };
        if user.id == acting_user_id {
            return Ok(RemoveUser::OwnAccount);
        }
        if user.role == Role::Admin && admin_count(&mut tx, company_id).await? <= 1 {
            return Ok(RemoveUser::LastAdmin);
        }
        sql("DELETE FROM usuarios WHERE id = $1 AND empresa_id = $2")
            .bind(user_id)
            .bind(company_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        self.users_changed();
        Ok(RemoveUser::Removed)
    }

    /// Sets a role unless that would leave the company without an admin.
    pub async fn change_role(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> StoreResult<ChangeRole> {
        let mut tx = self.db.begin().await?;
        if !lock_company(&mut tx, company_id).await? {
            return Ok(ChangeRole::NotFound);
        }
        let Some(user) = company_user(&mut tx, company_id, user_id).await? else {
            return Ok(ChangeRole::NotFound);
        };
        let demotes_an_admin = user.role == Role::Admin && role != Role::Admin;
        if demotes_an_admin && admin_count(&mut tx, company_id).await? <= 1 {
            return Ok(ChangeRole::LastAdmin);
        }
        let row = sql(concat!(
            "UPDATE usuarios SET rol = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4 \
             RETURNING ",
            user_columns!()
        ))
        .bind(role.as_str())
        .bind(now())
        .bind(user_id)
        .bind(company_id)
        .fetch_one(&mut tx)
        .await?;
        let user = user_from_row(&row)?;
        tx.commit().await?;
        self.users_changed();
        Ok(ChangeRole::Changed(user))
    }

    /// Changes one thing of a user of that company; false when the user is not in it.
    pub async fn update_user(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        change: UserChange,
    ) -> StoreResult<bool> {
        let statement = match change {
            UserChange::Role(role) => {
                sql("UPDATE usuarios SET rol = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4")
                    .bind(role.as_str())
            }
            UserChange::Active(active) => sql(
                "UPDATE usuarios SET activo = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4",
            )
            .bind(active),
            UserChange::Superadmin(value) => sql(
                "UPDATE usuarios SET es_superadmin = $1, updated_at = $2 \
                 WHERE id = $3 AND empresa_id = $4",
            )
            .bind(value),
            UserChange::TokensValidFrom(from) => sql(
                "UPDATE usuarios SET tokens_validos_desde = $1, updated_at = $2 \
                 WHERE id = $3 AND empresa_id = $4",
            )
            .bind(from),
        };
        let changed = statement
            .bind(now())
            .bind(user_id)
            .bind(company_id)
            .execute(&self.db)
            .await?;
        self.users_changed();
        Ok(changed == 1)
    }

    pub async fn delete_user(&self, company_id: Uuid, user_id: Uuid) -> StoreResult<bool> {
        let deleted = sql("DELETE FROM usuarios WHERE id = $1 AND empresa_id = $2")
            .bind(user_id)
            .bind(company_id)
            .execute(&self.db)
            .await?;
        self.users_changed();
        Ok(deleted == 1)
    }

    /// New password hash and change date; tokens issued before
    /// `tokens_valid_from` stop working, except `kept_token` (a SHA-256 hex).
    pub async fn set_password(
        &self,
        company_id: Uuid,
        user_id: Uuid,
        change: PasswordChange,
    ) -> StoreResult<bool> {
        let changed = sql(
            "UPDATE usuarios SET password_hash = $1, password_changed_at = $2, \
             tokens_validos_desde = $3, token_conservado = $4, updated_at = $5, \
             password_temporal = $10 \
             WHERE id = $6 AND empresa_id = $7 AND (password_hash = $8 OR $9)",
        )
        .bind(&change.hash)
        .bind(change.changed_at)
        .bind(change.tokens_valid_from)
        .bind(&change.kept_token)
        .bind(now())
        .bind(user_id)
        .bind(company_id)
        .bind(change.replaces_hash.as_deref().unwrap_or_default())
        .bind(change.replaces_hash.is_none())
        .bind(change.temporary)
        .execute(&self.db)
        .await?;
        self.users_changed();
        Ok(changed == 1)
    }
}
