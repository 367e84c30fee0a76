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
                kept_token: row.try_get("token_conservado")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn apartment_from_row(row: &$row) -> Result<Apartment, sqlx::Error> {
            Ok(Apartment {
                id: uuid_at(row, "id")?,
                company_id: uuid_at(row, "empresa_id")?,
                external_id: row.try_get("id_externo")?,
                name: row.try_get("nombre")?,
                address: row.try_get("direccion")?,
                city: row.try_get("ciudad")?,
                pms_id: row.try_get("id_pms")?,
                origin: row.try_get("pms_origen")?,
                active: row.try_get("activo")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        fn pms_from_row(row: &$row) -> Result<PmsConfig, sqlx::Error> {
            Ok(PmsConfig {
                provider: row.try_get("proveedor")?,
                api_key_encrypted: row.try_get("api_key_cifrada")?,
                api_secret_encrypted: row.try_get("api_secret_cifrada")?,
                endpoint: row.try_get("endpoint")?,
                active: row.try_get("activo")?,
                last_sync: row.try_get("ultimo_sync")?,
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

        /// Takes the company row's write lock for the rest of the transaction (a row
        /// lock on PostgreSQL, the database write lock on SQLite), so the checks and
        /// writes on one company's users and settings never interleave. False when
        /// the company does not exist.
        async fn lock_company(tx: &mut sqlx::Transaction<'_, $db>, company_id: Uuid) -> StoreResult<bool> {
            let done = sqlx::query("UPDATE empresas SET updated_at = updated_at WHERE id = $1")
                .bind(id_arg(company_id))
                .execute(&mut **tx)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn company_settings(tx: &mut sqlx::Transaction<'_, $db>, company_id: Uuid) -> StoreResult<serde_json::Value> {
            let row = sqlx::query("SELECT configuracion FROM empresas WHERE id = $1")
                .bind(id_arg(company_id))
                .fetch_one(&mut **tx)
                .await?;
            Ok(json_at(&row, "configuracion")?)
        }

        async fn company_user(tx: &mut sqlx::Transaction<'_, $db>, company_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>> {
            let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM usuarios WHERE id = $1 AND empresa_id = $2"))
                .bind(id_arg(user_id))
                .bind(id_arg(company_id))
                .fetch_optional(&mut **tx)
                .await?;
            Ok(row.as_ref().map(user_from_row).transpose()?)
        }

        async fn admin_count(tx: &mut sqlx::Transaction<'_, $db>, company_id: Uuid) -> StoreResult<i64> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM usuarios WHERE empresa_id = $1 AND rol = 'admin'")
                .bind(id_arg(company_id))
                .fetch_one(&mut **tx)
                .await?)
        }

        async fn insert_log(tx: &mut sqlx::Transaction<'_, $db>, company_id: Uuid, log: SyncLog) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO logs_sincronizacion (id, empresa_id, origen, estado, num_registros, detalle, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id_arg(Uuid::new_v4()))
            .bind(id_arg(company_id))
            .bind(log.origin)
            .bind(log.status)
            .bind(log.records)
            .bind(&log.detail)
            .bind(now())
            .execute(&mut **tx)
            .await?;
            Ok(())
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
                         password_changed_at = $2, tokens_validos_desde = $2, token_conservado = NULL, updated_at = $2 \
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

            async fn active_companies(&self) -> StoreResult<Vec<Company>> {
                let rows = sqlx::query(concat!("SELECT ", company_columns!(), " FROM empresas WHERE activa = $1 ORDER BY nombre"))
                    .bind(true)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(company_from_row).collect::<Result<_, _>>()?)
            }

            async fn set_company_setting(&self, company_id: Uuid, key: &'static str, value: serde_json::Value) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                if !lock_company(&mut tx, company_id).await? {
                    return Ok(false);
                }
                let mut settings = company_settings(&mut tx, company_id).await?;
                if !settings.is_object() {
                    settings = serde_json::json!({});
                }
                settings[key] = value;
                sqlx::query("UPDATE empresas SET configuracion = $1, updated_at = $2 WHERE id = $3")
                    .bind(json_arg(&settings))
                    .bind(now())
                    .bind(id_arg(company_id))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn users(&self, company_id: Uuid) -> StoreResult<Vec<User>> {
                let rows = sqlx::query(concat!("SELECT ", user_columns!(), " FROM usuarios WHERE empresa_id = $1 ORDER BY created_at, id"))
                    .bind(id_arg(company_id))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(user_from_row).collect::<Result<_, _>>()?)
            }

            async fn user(&self, company_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>> {
                let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM usuarios WHERE id = $1 AND empresa_id = $2"))
                    .bind(id_arg(user_id))
                    .bind(id_arg(company_id))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(user_from_row).transpose()?)
            }

            async fn add_user_within_limit(&self, company_id: Uuid, new: NewUser) -> StoreResult<AddUser> {
                let mut tx = self.pool.begin().await?;
                if !lock_company(&mut tx, company_id).await? {
                    return Err(StoreError::Other(format!("company {company_id} does not exist")));
                }
                let max = max_users(&company_settings(&mut tx, company_id).await?);
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usuarios WHERE empresa_id = $1")
                    .bind(id_arg(company_id))
                    .fetch_one(&mut *tx)
                    .await?;
                if count >= max {
                    return Ok(AddUser::LimitReached(max));
                }
                let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM usuarios WHERE email = $1)")
                    .bind(&new.email)
                    .fetch_one(&mut *tx)
                    .await?;
                if taken {
                    return Ok(AddUser::EmailTaken);
                }
                let user = match insert_user(&mut *tx, company_id, &new).await {
                    Ok(user) => user,
                    // Taken meanwhile by another company's transaction.
                    Err(StoreError::Conflict(_)) => return Ok(AddUser::EmailTaken),
                    Err(other) => return Err(other),
                };
                tx.commit().await?;
                Ok(AddUser::Added(user))
            }

            async fn remove_user(&self, company_id: Uuid, user_id: Uuid, acting_user_id: Uuid) -> StoreResult<RemoveUser> {
                let mut tx = self.pool.begin().await?;
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
                sqlx::query("DELETE FROM usuarios WHERE id = $1 AND empresa_id = $2")
                    .bind(id_arg(user_id))
                    .bind(id_arg(company_id))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(RemoveUser::Removed)
            }

            async fn change_role(&self, company_id: Uuid, user_id: Uuid, role: Role) -> StoreResult<ChangeRole> {
                let mut tx = self.pool.begin().await?;
                if !lock_company(&mut tx, company_id).await? {
                    return Ok(ChangeRole::NotFound);
                }
                let Some(user) = company_user(&mut tx, company_id, user_id).await? else {
                    return Ok(ChangeRole::NotFound);
                };
                if user.role == Role::Admin && role != Role::Admin && admin_count(&mut tx, company_id).await? <= 1 {
                    return Ok(ChangeRole::LastAdmin);
                }
                let row = sqlx::query(concat!(
                    "UPDATE usuarios SET rol = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4 RETURNING ",
                    user_columns!()
                ))
                .bind(role.as_str())
                .bind(now())
                .bind(id_arg(user_id))
                .bind(id_arg(company_id))
                .fetch_one(&mut *tx)
                .await?;
                let user = user_from_row(&row)?;
                tx.commit().await?;
                Ok(ChangeRole::Changed(user))
            }

            async fn set_password(&self, company_id: Uuid, user_id: Uuid, change: PasswordChange) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE usuarios SET password_hash = $1, password_changed_at = $2, tokens_validos_desde = $3, \
                     token_conservado = $4, updated_at = $5 WHERE id = $6 AND empresa_id = $7 \
                     AND (password_hash = $8 OR $9)",
                )
                .bind(&change.hash)
                .bind(change.changed_at)
                .bind(change.tokens_valid_from)
                .bind(&change.kept_token)
                .bind(now())
                .bind(id_arg(user_id))
                .bind(id_arg(company_id))
                .bind(change.replaces_hash.as_deref().unwrap_or_default())
                .bind(change.replaces_hash.is_none())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn pms_config(&self, company_id: Uuid) -> StoreResult<Option<PmsConfig>> {
                let row = sqlx::query(
                    "SELECT proveedor, api_key_cifrada, api_secret_cifrada, endpoint, activo, ultimo_sync \
                     FROM configuracion_pms WHERE empresa_id = $1",
                )
                .bind(id_arg(company_id))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(pms_from_row).transpose().map_err(Into::into)
            }

            async fn save_pms_config(&self, company_id: Uuid, settings: PmsSettings) -> StoreResult<PmsConfig> {
                let row = sqlx::query(
                    "INSERT INTO configuracion_pms (id, empresa_id, proveedor, api_key_cifrada, api_secret_cifrada, \
                     endpoint, activo, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                     ON CONFLICT (empresa_id) DO UPDATE SET proveedor = excluded.proveedor, \
                     api_key_cifrada = excluded.api_key_cifrada, api_secret_cifrada = excluded.api_secret_cifrada, \
                     endpoint = CASE WHEN $9 THEN excluded.endpoint ELSE configuracion_pms.endpoint END, \
                     activo = excluded.activo, updated_at = excluded.updated_at \
                     RETURNING proveedor, api_key_cifrada, api_secret_cifrada, endpoint, activo, ultimo_sync",
                )
                .bind(id_arg(Uuid::new_v4()))
                .bind(id_arg(company_id))
                .bind(&settings.provider)
                .bind(&settings.api_key_encrypted)
                .bind(&settings.api_secret_encrypted)
                .bind(settings.endpoint.clone().flatten())
                .bind(true)
                .bind(now())
                .bind(settings.endpoint.is_some())
                .fetch_one(&self.pool)
                .await?;
                Ok(pms_from_row(&row)?)
            }

            async fn delete_pms_config(&self, company_id: Uuid) -> StoreResult<bool> {
                let done = sqlx::query("DELETE FROM configuracion_pms WHERE empresa_id = $1")
                    .bind(id_arg(company_id))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn ai_config(&self, company_id: Uuid) -> StoreResult<Option<AiConfig>> {
                let row = sqlx::query("SELECT proveedor, modelo, api_key_cifrada, activo FROM configuracion_ia WHERE empresa_id = $1")
                    .bind(id_arg(company_id))
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some(AiConfig {
                    provider: row.try_get("proveedor")?,
                    model: row.try_get("modelo")?,
                    api_key_encrypted: row.try_get("api_key_cifrada")?,
                    active: row.try_get("activo")?,
                }))
            }

            async fn save_ai_config(
                &self,
                company_id: Uuid,
                provider: &str,
                model: Option<&str>,
                api_key_encrypted: Option<&str>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO configuracion_ia (id, empresa_id, proveedor, modelo, api_key_cifrada, activo, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     ON CONFLICT (empresa_id) DO UPDATE SET proveedor = excluded.proveedor, modelo = excluded.modelo, \
                     api_key_cifrada = excluded.api_key_cifrada, activo = excluded.activo, updated_at = excluded.updated_at",
                )
                .bind(id_arg(Uuid::new_v4()))
                .bind(id_arg(company_id))
                .bind(provider)
                .bind(model)
                .bind(api_key_encrypted)
                .bind(true)
                .bind(now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_ai_config(&self, company_id: Uuid) -> StoreResult<bool> {
                let done = sqlx::query("DELETE FROM configuracion_ia WHERE empresa_id = $1")
                    .bind(id_arg(company_id))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn google_connected(&self, company_id: Uuid) -> StoreResult<bool> {
                Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM integraciones_google WHERE empresa_id = $1 AND activo = $2)")
                    .bind(id_arg(company_id))
                    .bind(true)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn apartments(&self, company_id: Uuid) -> StoreResult<Vec<Apartment>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", apartment_columns!(), " FROM apartamentos WHERE empresa_id = $1 AND activo = $2 ORDER BY nombre, id"
                ))
                .bind(id_arg(company_id))
                .bind(true)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().map(apartment_from_row).collect::<Result<_, _>>()?)
            }

            async fn apartment(&self, company_id: Uuid, apartment_id: Uuid) -> StoreResult<Option<Apartment>> {
                let row = sqlx::query(concat!("SELECT ", apartment_columns!(), " FROM apartamentos WHERE id = $1 AND empresa_id = $2"))
                    .bind(id_arg(apartment_id))
                    .bind(id_arg(company_id))
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.as_ref().map(apartment_from_row).transpose()?)
            }

            async fn create_apartment(&self, company_id: Uuid, new: NewApartment) -> StoreResult<Apartment> {
                let row = sqlx::query(concat!(
                    "INSERT INTO apartamentos (id, empresa_id, id_externo, nombre, direccion, ciudad, id_pms, pms_origen, activo, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, 'manual', $7, $8, $8) RETURNING ",
                    apartment_columns!()
                ))
                .bind(id_arg(Uuid::new_v4()))
                .bind(id_arg(company_id))
                .bind(&new.external_id)
                .bind(&new.name)
                .bind(&new.address)
                .bind(&new.city)
                .bind(true)
                .bind(now())
                .fetch_one(&self.pool)
                .await?;
                Ok(apartment_from_row(&row)?)
            }

            async fn update_apartment(&self, company_id: Uuid, apartment_id: Uuid, changes: ApartmentChanges) -> StoreResult<Option<Apartment>> {
                let row = sqlx::query(concat!(
                    "UPDATE apartamentos SET \
                     nombre = CASE WHEN $1 THEN $2 ELSE nombre END, \
                     direccion = CASE WHEN $3 THEN $4 ELSE direccion END, \
                     ciudad = CASE WHEN $5 THEN $6 ELSE ciudad END, \
                     updated_at = $7 WHERE id = $8 AND empresa_id = $9 RETURNING ",
                    apartment_columns!()
                ))
                .bind(changes.name.is_some())
                .bind(&changes.name)
                .bind(changes.address.is_some())
                .bind(changes.address.clone().flatten())
                .bind(changes.city.is_some())
                .bind(changes.city.clone().flatten())
                .bind(now())
                .bind(id_arg(apartment_id))
                .bind(id_arg(company_id))
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.as_ref().map(apartment_from_row).transpose()?)
            }

            async fn deactivate_apartment(&self, company_id: Uuid, apartment_id: Uuid) -> StoreResult<bool> {
                let done = sqlx::query("UPDATE apartamentos SET activo = $1, updated_at = $2 WHERE id = $3 AND empresa_id = $4")
                    .bind(false)
                    .bind(now())
                    .bind(id_arg(apartment_id))
                    .bind(id_arg(company_id))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn upsert_apartments(&self, company_id: Uuid, rows: &[ApartmentUpsert], origin: &str, log: SyncLogFor) -> StoreResult<UpsertReport> {
                let mut tx = self.pool.begin().await?;
                // One import or sync of a company at a time.
                if !lock_company(&mut tx, company_id).await? {
                    return Err(StoreError::Other(format!("company {company_id} does not exist")));
                }
                let mut report = UpsertReport::default();
                for row in rows {
                    let at = now();
                    let updated = sqlx::query(
                        "UPDATE apartamentos SET id_externo = $1, nombre = $2, \
                         direccion = CASE WHEN $3 IS NULL OR $3 = '' THEN direccion ELSE $3 END, \
                         ciudad = CASE WHEN $4 IS NULL OR $4 = '' THEN ciudad ELSE $4 END, \
                         activo = $5, updated_at = $6 WHERE empresa_id = $7 AND id_pms = $8",
                    )
                    .bind(&row.external_id)
                    .bind(&row.name)
                    .bind(&row.address)
                    .bind(&row.city)
                    .bind(true)
                    .bind(at)
                    .bind(id_arg(company_id))
                    .bind(&row.pms_id)
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() > 0 {
                        report.updated += 1;
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO apartamentos (id, empresa_id, id_externo, nombre, direccion, ciudad, id_pms, pms_origen, activo, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                    )
                    .bind(id_arg(Uuid::new_v4()))
                    .bind(id_arg(company_id))
                    .bind(&row.external_id)
                    .bind(&row.name)
                    .bind(&row.address)
                    .bind(&row.city)
                    .bind(&row.pms_id)
                    .bind(origin)
                    .bind(true)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    report.created += 1;
                }
                insert_log(&mut tx, company_id, log(report)).await?;
                tx.commit().await?;
                Ok(report)
            }

            async fn log_sync(&self, company_id: Uuid, log: SyncLog) -> StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                insert_log(&mut tx, company_id, log).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn sync_logs(&self, company_id: Uuid, limit: i64) -> StoreResult<Vec<(String, String, Option<i32>, Option<String>)>> {
                let rows = sqlx::query(
                    "SELECT origen, estado, num_registros, detalle FROM logs_sincronizacion WHERE empresa_id = $1 \
                     ORDER BY created_at DESC, id LIMIT $2",
                )
                .bind(id_arg(company_id))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    out.push((row.try_get("origen")?, row.try_get("estado")?, row.try_get("num_registros")?, row.try_get("detalle")?));
                }
                Ok(out)
            }

            async fn apartments_with_pms_id(&self, company_id: Uuid) -> StoreResult<Vec<Apartment>> {
                let rows = sqlx::query(concat!("SELECT ", apartment_columns!(), " FROM apartamentos WHERE empresa_id = $1 AND id_pms IS NOT NULL"))
                    .bind(id_arg(company_id))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(apartment_from_row).collect::<Result<_, _>>()?)
            }
        }

    };
}

pub(crate) use store_adapter;
