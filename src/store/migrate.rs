//! Embedded migrations, one numbered list per engine (same version numbers).
//!
//! A PostgreSQL database created by the original service (Alembic at head
//! `g7h8i9j0k1l2`) is adopted: our baseline describes exactly that schema, so
//! it is recorded as applied without running, and only later migrations run.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{PgPool, SqlStr, SqlitePool};

/// The Alembic revision our PostgreSQL baseline reproduces.
pub const ORIGINAL_HEAD: &str = "g7h8i9j0k1l2";

const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "baseline",
        include_str!("../../migrations/postgres/0001_baseline.sql"),
    ),
    (
        2,
        "tokens_validos_desde",
        include_str!("../../migrations/postgres/0002_tokens_validos_desde.sql"),
    ),
    (
        3,
        "token_conservado",
        include_str!("../../migrations/postgres/0003_token_conservado.sql"),
    ),
    (
        4,
        "api_secret_cifrada",
        include_str!("../../migrations/postgres/0004_api_secret_cifrada.sql"),
    ),
    (
        5,
        "ia_endpoint",
        include_str!("../../migrations/postgres/0005_ia_endpoint.sql"),
    ),
    (
        6,
        "zona_horaria",
        include_str!("../../migrations/postgres/0006_zona_horaria.sql"),
    ),
    (
        8,
        "solicitudes",
        include_str!("../../migrations/postgres/0008_solicitudes.sql"),
    ),
    (
        9,
        "password_temporal",
        include_str!("../../migrations/postgres/0009_password_temporal.sql"),
    ),
];

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "baseline",
        include_str!("../../migrations/sqlite/0001_baseline.sql"),
    ),
    (
        2,
        "tokens_validos_desde",
        include_str!("../../migrations/sqlite/0002_tokens_validos_desde.sql"),
    ),
    (
        3,
        "token_conservado",
        include_str!("../../migrations/sqlite/0003_token_conservado.sql"),
    ),
    (
        4,
        "api_secret_cifrada",
        include_str!("../../migrations/sqlite/0004_api_secret_cifrada.sql"),
    ),
    (
        5,
        "ia_endpoint",
        include_str!("../../migrations/sqlite/0005_ia_endpoint.sql"),
    ),
    (
        6,
        "zona_horaria",
        include_str!("../../migrations/sqlite/0006_zona_horaria.sql"),
    ),
    (
        8,
        "solicitudes",
        include_str!("../../migrations/sqlite/0008_solicitudes.sql"),
    ),
    (
        9,
        "password_temporal",
        include_str!("../../migrations/sqlite/0009_password_temporal.sql"),
    ),
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run.
    pub applied: Vec<i64>,
    /// True when an existing database of the original service was adopted.
    pub adopted_original: bool,
}

fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = list
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                SqlStr::from_static(sql),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

pub async fn migrate_sqlite(pool: &SqlitePool) -> anyhow::Result<MigrationReport> {
    let migrator = migrator(SQLITE);
    let before = applied_sqlite(pool).await?;
    migrator.run(pool).await?;
    let after = applied_sqlite(pool).await?;
    Ok(MigrationReport {
        applied: after.into_iter().filter(|v| !before.contains(v)).collect(),
        adopted_original: false,
    })
}

pub async fn migrate_postgres(pool: &PgPool) -> anyhow::Result<MigrationReport> {
    let migrator = migrator(POSTGRES);
    let before = applied_postgres(pool).await?;
    let mut adopted_original = false;

    if !before.contains(&1) {
        let has_tables: bool = sqlx::query_scalar("SELECT to_regclass('empresas') IS NOT NULL")
            .fetch_one(pool)
            .await?;
        if has_tables {
            check_original_schema(pool).await?;
            tracing::info!(
                "existing database of the original service found: recording the baseline as applied"
            );
            // Marks version 1 as applied without running it; nothing is recreated.
            migrator.skip(pool, Some(1)).await?;
            adopted_original = true;
        }
    }

    migrator.run(pool).await?;
    let after = applied_postgres(pool).await?;
    Ok(MigrationReport {
        applied: after
            .into_iter()
            .filter(|v| !(before.contains(v) || adopted_original && *v == 1))
            .collect(),
        adopted_original,
    })
}

/// Tables of the original's schema (original-api.md section 15).
const ORIGINAL_TABLES: &[&str] = &[
    "empresas",
    "usuarios",
    "apartamentos",
    "plantillas_vault",
    "mensajes_generados",
    "configuracion_pms",
    "integraciones_google",
    "configuracion_ia",
    "logs_sincronizacion",
    "ai_usage_log",
    "system_prompts",
    "alembic_version",
];

/// Adopts only a complete database of the original at its head revision;
/// anything else is refused untouched.
async fn check_original_schema(pool: &PgPool) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for table in ORIGINAL_TABLES {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(*table)
            .fetch_one(pool)
            .await?;
        if !exists {
            missing.push(*table);
        }
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "the database has an `empresas` table but is not a complete database of the original service \
             (missing: {}); refusing to touch it",
            missing.join(", ")
        );
    }
    let revision: Option<String> =
        sqlx::query_scalar("SELECT version_num FROM alembic_version LIMIT 1")
            .fetch_optional(pool)
            .await?;
    if revision.as_deref() != Some(ORIGINAL_HEAD) {
        anyhow::bail!(
            "this database was created by the original service at Alembic revision {:?}; \
             run its migrations up to {ORIGINAL_HEAD} (`flask db upgrade`) before adopting it",
            revision.unwrap_or_default()
        );
    }
    Ok(())
}

async fn applied_sqlite(pool: &SqlitePool) -> anyhow::Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?,
    )
}

async fn applied_postgres(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?,
    )
}
