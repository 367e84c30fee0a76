//! The `Store` implementation both adapters share: the same SQL (written to
//! run on SQLite and PostgreSQL alike) and row mapping, expanded once per
//! engine. Each adapter module supplies `id_arg` (how a UUID is bound),
//! `uuid_at` and `json_at` (how UUID and JSON columns are read).

macro_rules! store_adapter {
    ($store:ty, $db:ty, $row:ty) => {
        fn user_from_row(row: &$row) -> Result<User, sqlx::Error> {
            Ok(User {
                id: uuid_at(row, "id")?,
                company_id: uuid_at(row, "empresa_id")?,
                email: row.try_get("email")?,
                password_hash: row.try_get("password_hash")?,
                role: Role::from_db(row.try_get::<&str, _>("rol")?),
                active: row.try_get("activo")?,
                is_superadmin: row.try_get("es_superadmin")?,
                password_changed_at: row.try_get("password_changed_at")?,
                tokens_valid_from: row.try_get("tokens_validos_desde")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn company_from_row(row: &$row) -> Result<Company, sqlx::Error> {
            Ok(Company {
                id: uuid_at(row, "id")?,
                name: row.try_get("nombre")?,
                email: row.try_get("email")?,
                city: row.try_get("ciudad")?,
                active: row.try_get("activa")?,
                settings: json_at(row, "configuracion")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        async fn insert_company<'e, E>(executor: E, new: &NewCompany) -> StoreResult<Company>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            let id = Uuid::new_v4();
            let at = now();
            let row = sqlx::query(concat!(
                "INSERT INTO empresas (id, nombre, email, password_hash, ciudad, herramientas_activas, \
                 configuracion, activa, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, '{}', '{}', $6, $7, $7) RETURNING ",
                company_columns!(),
                ""
            ))
            .bind(id_arg(id))
            .bind(&new.name)
            .bind(&new.email)
            .bind(&new.password_hash)
            .bind(&new.city)
            .bind(true)
            .bind(at)
            .fetch_one(executor)
            .await
            .map_err(|e| conflict_as(e, "empresas.email"))?;
            Ok(company_from_row(&row)?)
        }

        async fn insert_user<'e, E>(executor: E, company_id: Uuid, new: &NewUser) -> StoreResult<User>
        where
            E: sqlx::Executor<'e, Database = $db>,
        {
            let id = Uuid::new_v4();
            let at = now();
            let row = sqlx::query(concat!(
                "INSERT INTO usuarios (id, empresa_id, email, password_hash, rol, activo, es_superadmin, \
                 password_changed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING ",
                user_columns!(),
                ""
            ))
            .bind(id_arg(id))
            .bind(id_arg(company_id))
            .bind(&new.email)
            .bind(&new.password_hash)
            .bind(new.role.as_str())
            .bind(true)
            .bind(new.is_superadmin)
            .bind(new.password_changed_at)
            .bind(at)
            .fetch_one(executor)
            .await
            .map_err(|e| conflict_as(e, "usuarios.email"))?;
            Ok(user_from_row(&row)?)
        }

        fn conflict_as(err: sqlx::Error, what: &'static str) -> StoreError {
            match StoreError::from(err) {
                StoreError::Conflict(_) => StoreError::Conflict(what),
                other => other,
            }
        }

        #[async_trait]
        impl Store for $store {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM usuarios WHERE email = $1"
                ))
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(user_from_row).transpose()?)
            }

            async fn user_by_id(&self, user_id: Uuid) -> StoreResult<Option<User>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM usuarios WHERE id = $1"
                ))
                .bind(id_arg(user_id))
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(user_from_row).transpose()?)
            }

            async fn superadmin_exists(&self) -> StoreResult<bool> {
                Ok(
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM usuarios WHERE es_superadmin)")
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            async fn upsert_superadmin(&self, spec: SuperadminSpec) -> StoreResult<User> {
                let mut tx = self.pool.begin().await?;
                let existing = sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM usuarios WHERE email = $1"
                ))
                .bind(&spec.email)
                .fetch_optional(&mut *tx)
                .await?;
                let user = if let Some(row) = existing {
                    let user = user_from_row(&row)?;
                    let row = sqlx::query(concat!(
                        "UPDATE usuarios SET password_hash = $1, rol = 'admin', es_superadmin = $4, activo = $4, \
                         password_changed_at = $2, tokens_validos_desde = $2, updated_at = $2 \
                         WHERE id = $3 RETURNING ", user_columns!(), ""
                    ))
                    .bind(&spec.password_hash)
                    .bind(now())
                    .bind(id_arg(user.id))
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await?;
                    user_from_row(&row)?
                } else {
                    let company = sqlx::query(concat!(
                        "SELECT ",
                        company_columns!(),
                        " FROM empresas WHERE nombre = $1 ORDER BY created_at LIMIT 1"
                    ))
                    .bind(&spec.company_name)
                    .fetch_optional(&mut *tx)
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
                            insert_company(&mut *tx, &new).await?
                        }
                    };
                    let new = NewUser {
                        email: spec.email.clone(),
                        password_hash: spec.password_hash.clone(),
                        role: Role::Admin,
                        is_superadmin: true,
                        password_changed_at: Some(now()),
                    };
                    insert_user(&mut *tx, company.id, &new).await?
                };
                tx.commit().await?;
                Ok(user)
            }

            async fn create_company(&self, new: NewCompany) -> StoreResult<Company> {
                insert_company(&self.pool, &new).await
            }

            async fn company(&self, company_id: Uuid) -> StoreResult<Option<Company>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    company_columns!(),
                    " FROM empresas WHERE id = $1"
                ))
                .bind(id_arg(company_id))
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(company_from_row).transpose()?)
            }

            async fn create_user(&self, company_id: Uuid, new: NewUser) -> StoreResult<User> {
                insert_user(&self.pool, company_id, &new).await
            }

            async fn update_user(&self, company_id: Uuid, user_id: Uuid, change: UserChange) -> StoreResult<bool> {
                let query = match change {
                    UserChange::Role(role) => {
                        sqlx::query("UPDATE usuarios SET rol = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4")
                            .bind(role.as_str())
                    }
                    UserChange::Active(active) => {
                        sqlx::query("UPDATE usuarios SET activo = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4")
                            .bind(active)
                    }
                    UserChange::Superadmin(value) => sqlx::query(
                        "UPDATE usuarios SET es_superadmin = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4",
                    )
                    .bind(value),
                    UserChange::TokensValidFrom(from) => sqlx::query(
                        "UPDATE usuarios SET tokens_validos_desde = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4",
                    )
                    .bind(from),
                };
                let done = query
                    .bind(now())
                    .bind(id_arg(user_id))
                    .bind(id_arg(company_id))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_user(&self, company_id: Uuid, user_id: Uuid) -> StoreResult<bool> {
                let done = sqlx::query("DELETE FROM usuarios WHERE id = $1 AND empresa_id = $2")
                    .bind(id_arg(user_id))
                    .bind(id_arg(company_id))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }

    };
}

pub(crate) use store_adapter;
