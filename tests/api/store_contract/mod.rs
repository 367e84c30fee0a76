//! One contract for the `Store`, run against SQLite always and against
//! PostgreSQL when `TEST_DATABASE_URL` is set (required in CI).

use crate::support::{TestDb, open_store};
use chrono::{Duration, NaiveDate, Utc};
use stay_sidekick::store::{
    AddUser, AiQuota, AiReservation, AiUsage, ApartmentChanges, ChangeRole, NewApartment,
    NewCompany, NewTemplate, NewUser, PasswordChange, PmsSettings, RemoveUser, Role, Store,
    StoreError, SuperadminSpec, Template, TemplateFilter, TemplateUpdate, UserChange,
};
use uuid::Uuid;

mod catalogue_and_integrations;
mod engine_and_companies;
mod forms;
mod google;
mod identity;
mod users;
mod vault_and_ai;

use catalogue_and_integrations::*;
use engine_and_companies::*;
use forms::*;
use google::*;
use identity::*;
use users::*;
use vault_and_ai::*;

pub(super) fn company(email: &str) -> NewCompany {
    NewCompany {
        name: format!("Empresa {email}"),
        email: email.into(),
        city: Some("Sevilla".into()),
        password_hash: "x".into(),
    }
}

pub(super) fn user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        password_hash: "$2b$04$a.YoKVBvnIvIlX5qFl3Gju9muPfDkQlzcEmALUKQr6ZwAxhZ4Fj9C".into(),
        role,
        is_superadmin: false,
        password_changed_at: Some(Utc::now() - Duration::days(60)),
        temporary_password: false,
    }
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = TestDb::sqlite();
                    super::$case(open_store(db.url()).await).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = TestDb::postgres().await else {
                        assert!(std::env::var_os("CI").is_none(), "CI must set TEST_DATABASE_URL");
                        eprintln!("TEST_DATABASE_URL unset: PostgreSQL contract skipped");
                        return;
                    };
                    super::$case(open_store(db.url()).await).await;
                }
            )*
        }
    };
}

contract!(
    ping_answers,
    closed_store_is_unavailable,
    companies_round_trip,
    duplicate_company_email_is_a_conflict,
    users_round_trip_by_email_and_id,
    user_emails_are_unique_across_companies,
    user_writes_are_scoped_to_the_company,
    superadmin_upsert_creates_then_promotes,
    a_failed_superadmin_upsert_leaves_nothing_behind,
    company_settings_keep_other_keys_under_concurrent_writers,
    company_setting_merges_keep_the_other_fields,
    active_companies_are_listed_by_name,
    users_are_listed_per_company_oldest_first,
    adding_users_respects_the_limit_and_unique_emails,
    the_last_admin_cannot_be_removed_or_demoted,
    removing_a_user_deletes_the_row,
    passwords_are_replaced_within_the_company,
    integration_settings_round_trip,
    apartments_are_scoped_partial_and_soft_deleted,
    templates_are_scoped_filtered_and_soft_deleted,
    late_templates_are_apart_from_the_vault_and_hard_deleted,
    ai_quota_holds_under_concurrent_reservations,
    ai_weekly_quota_counts_seven_days,
    system_prompts_round_trip,
    submission_deliveries_are_claimed_once_then_retried_or_given_up,
    submissions_are_paged_marked_and_purged,
    google_connections_round_trip_per_company,
    last_google_sync_is_the_newest_contacts_log,
);
