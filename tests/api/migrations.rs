//! Migrations: idempotent on both engines; on PostgreSQL they produce the
//! original's schema, and adopt a database the original created.

use crate::support::TestDb;
use sqlx::{AssertSqlSafe, PgPool, Row};
use stay_sidekick::store::{self, Role};

const ORIGINAL: &str = include_str!("../fixtures/original_alembic_replay.sql");

#[tokio::test]
async fn sqlite_migrations_run_once_and_keep_data() {
    let db = TestDb::sqlite();
    let (store, report) = store::connect(db.url()).await.unwrap();
    assert_eq!(report.applied, vec![1, 2, 3, 4, 5, 6, 8, 9]);
    crate::support::seed_user(&store, "ana@example.com", Role::Admin, false).await;
    store.close().await;
    let (store, report) = store::connect(db.url()).await.unwrap();
    assert!(report.applied.is_empty());
    assert!(
        store
            .user_by_email("ana@example.com")
            .await
            .unwrap()
            .is_some()
    );
}

async fn pg(db: &TestDb) -> PgPool {
    PgPool::connect(db.url()).await.unwrap()
}

fn schema_of(db: &TestDb) -> String {
    match db {
        TestDb::Postgres { schema, .. } => schema.clone(),
        TestDb::Sqlite { .. } => unreachable!(),
    }
}

/// Columns, constraints and indexes of a schema, as comparable text lines.
async fn describe(pool: &PgPool, schema: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let columns = sqlx::query(
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default \
         FROM information_schema.columns WHERE table_schema = $1",
    )
    .bind(schema)
    .fetch_all(pool)
    .await
    .unwrap();
    for row in columns {
        let table: String = row.get(0);
        let column: String = row.get(1);
        if table.starts_with("_sqlx")
            || table.starts_with("solicitudes")
            || [
                ("usuarios", "tokens_validos_desde"),
                ("usuarios", "token_conservado"),
                ("configuracion_pms", "api_secret_cifrada"),
                ("configuracion_ia", "endpoint"),
                ("apartamentos", "zona_horaria"),
                ("usuarios", "password_temporal"),
            ]
            .contains(&(table.as_str(), column.as_str()))
        {
            continue; // ours
        }
        lines.push(format!(
            "column {table}.{column} {} {:?} null={} default={:?}",
            row.get::<String, _>(2),
            row.get::<Option<i32>, _>(3),
            row.get::<String, _>(4),
            row.get::<Option<String>, _>(5)
        ));
    }
    let constraints = sqlx::query(
        "SELECT c.conname, c.contype::text, pg_get_constraintdef(c.oid) FROM pg_constraint c \
         JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1",
    )
    .bind(schema)
    .fetch_all(pool)
    .await
    .unwrap();
    for row in constraints {
        let name: String = row.get(0);
        // Ours: the public forms' tables (0008).
        if !name.starts_with("_sqlx") && !name.contains("solicitudes") {
            let definition = row.get::<String, _>(2).replace(&format!("{schema}."), "");
            lines.push(format!(
                "constraint {name} {} {definition}",
                row.get::<String, _>(1)
            ));
        }
    }
    let indexes = sqlx::query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1")
        .bind(schema)
        .fetch_all(pool)
        .await
        .unwrap();
    for row in indexes {
        let name: String = row.get(0);
        // Ours: the public forms' tables (0008).
        if !name.starts_with("_sqlx") && !name.contains("solicitudes") {
            lines.push(format!(
                "index {name} {}",
                row.get::<String, _>(1).replace(&format!("{schema}."), "")
            ));
        }
    }
    lines.sort();
    lines
}

macro_rules! postgres_or_skip {
    () => {
        match TestDb::postgres().await {
            Some(db) => db,
            None => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must set TEST_DATABASE_URL"
                );
                eprintln!("TEST_DATABASE_URL unset: skipped");
                return;
            }
        }
    };
}

#[tokio::test]
async fn postgres_baseline_is_the_original_schema() {
    let ours = postgres_or_skip!();
    let original = postgres_or_skip!();
    let (_, report) = store::connect(ours.url()).await.unwrap();
    assert_eq!(report.applied, vec![1, 2, 3, 4, 5, 6, 8, 9]);
    assert!(!report.adopted_original);
    let pool = pg(&original).await;
    sqlx::raw_sql(AssertSqlSafe(ORIGINAL))
        .execute(&pool)
        .await
        .unwrap();
    let expected = describe(&pool, &schema_of(&original)).await;
    let got = describe(&pool, &schema_of(&ours)).await;
    assert!(
        expected.len() > 100,
        "the description covers the schema: {}",
        expected.len()
    );
    let missing: Vec<_> = expected.iter().filter(|l| !got.contains(l)).collect();
    let extra: Vec<_> = got.iter().filter(|l| !expected.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
    // Stamped at the original's head, so the original could run on it too.
    let version: String = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT version_num FROM {}.alembic_version",
        schema_of(&ours)
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(version, "g7h8i9j0k1l2");
}

#[tokio::test]
async fn postgres_adopts_a_database_of_the_original_without_loss() {
    let db = postgres_or_skip!();
    let pool = pg(&db).await;
    sqlx::raw_sql(AssertSqlSafe(ORIGINAL))
        .execute(&pool)
        .await
        .unwrap();
    // The original's seed data (backend/seed.sql): its demo company and superadmin.
    sqlx::raw_sql(
        "INSERT INTO empresas (id, nombre, email, password_hash, ciudad, herramientas_activas, configuracion, activa, created_at, updated_at) \
         VALUES ('a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'StaySidekick Demo', 'demo@staysidekick.es', 'x', 'Sevilla', \
         '{\"vault\": true}', '{\"max_usuarios\": 6}', true, now(), now()); \
         INSERT INTO usuarios (id, empresa_id, email, password_hash, rol, activo, es_superadmin, password_changed_at, created_at, updated_at) \
         VALUES ('c3d4e5f6-a7b8-9012-cdef-123456789012', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'dev@staysidekick.es', \
         '$2b$04$a.YoKVBvnIvIlX5qFl3Gju9muPfDkQlzcEmALUKQr6ZwAxhZ4Fj9C', 'admin', true, true, NULL, now(), now()); \
         INSERT INTO apartamentos (id, empresa_id, nombre, activo, created_at, updated_at, id_pms) \
         VALUES (gen_random_uuid(), 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'Apto 1', true, now(), now(), '42');",
    )
    .execute(&pool)
    .await
    .unwrap();

    let (store, report) = store::connect(db.url()).await.unwrap();
    assert!(report.adopted_original);
    assert_eq!(
        report.applied,
        vec![2, 3, 4, 5, 6, 8, 9],
        "only our own additions run"
    );
    let user = store
        .user_by_email("dev@staysidekick.es")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id.to_string(), "c3d4e5f6-a7b8-9012-cdef-123456789012");
    assert!(user.is_superadmin && user.role == Role::Admin && user.password_changed_at.is_none());
    assert!(bcrypt::verify("admin123", &user.password_hash).unwrap());
    let company = store.company(user.company_id).await.unwrap().unwrap();
    assert_eq!(company.settings, serde_json::json!({"max_usuarios": 6}));
    let schema = schema_of(&db);
    let apartments: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT count(*) FROM {schema}.apartamentos"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(apartments, 1);
    store.close().await;

    // Starting again changes nothing.
    let (_, report) = store::connect(db.url()).await.unwrap();
    assert!(report.applied.is_empty() && !report.adopted_original);
}

#[tokio::test]
async fn postgres_refuses_an_original_database_behind_its_head() {
    let db = postgres_or_skip!();
    let pool = pg(&db).await;
    sqlx::raw_sql(AssertSqlSafe(ORIGINAL))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::raw_sql("UPDATE alembic_version SET version_num = 'c3d4e5f6a7b8'")
        .execute(&pool)
        .await
        .unwrap();
    let err = store::connect(db.url())
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("c3d4e5f6a7b8") && err.contains("g7h8i9j0k1l2"),
        "{err}"
    );
    let tracked: bool = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT to_regclass('{}._sqlx_migrations') IS NOT NULL",
        schema_of(&db)
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!tracked, "nothing was recorded");
}

#[tokio::test]
async fn postgres_refuses_a_partial_schema_that_is_not_the_originals() {
    let db = postgres_or_skip!();
    let pool = pg(&db).await;
    sqlx::raw_sql("CREATE TABLE empresas (id UUID PRIMARY KEY, nombre TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    let err = store::connect(db.url())
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("missing") && err.contains("alembic_version"),
        "{err}"
    );
}
