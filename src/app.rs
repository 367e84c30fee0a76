//! The application: every API route is registered through `routes()` so the
//! OpenAPI document and the router cannot disagree; then the middleware stack.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::features::apartments::{catalogue, import, pms_config, sync};
use crate::features::contacts::{
    google as contacts_google, preferences as contacts_preferences, sync as contacts_sync,
};
use crate::features::forms::{admin as forms_admin, public as forms_public};
use crate::features::heatmap::{generate as heatmap_generate, settings as heatmap_settings};
use crate::features::late_checkins::{
    status as late_status, templates as late_templates, upload as late_upload,
};
use crate::features::profile::{account, integrations, settings};
use crate::features::vault::{ai, preview, prompts, templates};
use crate::features::{auth, companies, health, metrics, users};
use crate::http::docs;
use crate::http::middleware::{not_found, with_middleware};
use crate::http::state::AppState;
use crate::http::web_root::WebRoot;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stay Sidekick API",
        description = "Operations back office for short-term-rental companies. \
            Success: `{\"ok\": true, ...}`; errors: `{\"ok\": false, \"errors\": [...]}`."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "infra", description = "Health, readiness and this documentation"),
        (name = "auth", description = "CSRF token, login and token validation"),
        (name = "empresas", description = "Companies (tenants), for superadmins"),
        (name = "usuarios", description = "Users of a company, for its admins and superadmins"),
        (name = "perfil", description = "Own profile and password, company integrations and settings"),
        (name = "apartamentos", description = "The company's apartment catalogue"),
        (name = "vault", description = "Guest-message templates and their AI helpers"),
        (name = "heatmap", description = "Day-by-day load from the PMS or spreadsheets, and its settings"),
        (name = "checkin-tardio", description = "Late check-ins: the day's arrivals, a spreadsheet's late ones, their message templates"),
        (name = "formularios", description = "The static site's public forms, and what they received (superadmins)"),
        (name = "contactos", description = "Guests as phone contacts: Google Contacts connection and sync, CSV export, preferences"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The answers every route of a kind can give, documented by rule so no
/// operation forgets one (each with the error envelope):
/// - 401 on every operation that takes the bearer token;
/// - 400 (no or malformed JSON) and 413 on JSON bodies, except the
///   default-empty ones (`JsonOrEmpty`: no body is `{}`, then the schema's
///   422), which only get 413; 400 and 413 on multipart uploads;
/// - 404 and 422 where a superadmin may name the company (`?empresa_id=`);
/// - 429 (with `Retry-After`) everywhere but the unlimited paths.
///
/// (415 is documented by hand on the two strict routes that answer it.)
struct CommonResponses;

/// Operations whose body is read with `JsonOrEmpty`.
const DEFAULT_EMPTY_BODIES: &[&str] = &[
    "vault_templates_create",
    "vault_templates_update",
    "vault_templates_preview",
    "vault_improve",
    "vault_translate",
    "system_prompt_put",
    "late_templates_create",
    "late_templates_update",
];

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::Ref;
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::response::ResponseBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};

        let error = |description: &str| {
            ResponseBuilder::new().description(description).content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let limited = !crate::http::ratelimit::UNLIMITED.contains(&path.as_str());
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let bearer = operation.security.iter().flatten().any(|requirement| {
                    serde_json::to_value(requirement).is_ok_and(|v| v.get("bearer").is_some())
                });
                let body_types: Vec<String> = operation
                    .request_body
                    .iter()
                    .flat_map(|body| match body {
                        utoipa::openapi::RefOr::T(body) => body.content.keys().cloned().collect(),
                        utoipa::openapi::RefOr::Ref(_) => Vec::new(),
                    })
                    .collect();
                let default_empty = operation
                    .operation_id
                    .as_deref()
                    .is_some_and(|id| DEFAULT_EMPTY_BODIES.contains(&id));
                let target_company = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(|parameter| {
                        matches!(parameter, utoipa::openapi::RefOr::T(p) if p.name == "empresa_id")
                    });
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, response: ResponseBuilder| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| response.build().into());
                };
                if bearer {
                    add("401", error("Missing, invalid, expired or revoked token"));
                }
                if target_company {
                    add(
                        "404",
                        error(
                            "Empresa no encontrada. (superadmin's `empresa_id`), or the resource",
                        ),
                    );
                    add("422", error("Malformed `empresa_id`, or validation errors"));
                }
                if body_types.iter().any(|t| t == "application/json") {
                    if !default_empty {
                        add("400", error("No JSON body, or malformed or empty JSON"));
                    }
                    add("413", error("Body over MAX_UPLOAD_BYTES"));
                }
                if body_types.iter().any(|t| t == "multipart/form-data") {
                    add("400", error("No file, not .xlsx, or empty"));
                    add("413", error("Body over MAX_UPLOAD_BYTES"));
                }
                if limited {
                    let retry_after = HeaderBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
                        .description(Some("Seconds until the window resets"))
                        .build();
                    add(
                        "429",
                        error("Rate limit reached").header("Retry-After", retry_after),
                    );
                }
            }
        }
    }
}

/// Every route of the service with its documentation (`openapi()` adds the
/// common responses).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(auth::csrf_token))
        .routes(routes!(auth::login))
        .routes(routes!(auth::validacion))
        .routes(routes!(forms_public::access_request))
        .routes(routes!(forms_public::contact))
        .routes(routes!(forms_admin::list))
        .routes(routes!(forms_admin::mark_handled))
        .routes(routes!(companies::list, companies::create))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::delete, users::change_role))
        .routes(routes!(users::reset_password))
        .routes(routes!(account::profile))
        .routes(routes!(account::change_password))
        .routes(routes!(integrations::integrations))
        .routes(routes!(integrations::save_pms, integrations::delete_pms))
        .routes(routes!(integrations::save_ai, integrations::delete_ai))
        .routes(routes!(
            settings::xlsx_settings,
            settings::save_xlsx_settings
        ))
        .routes(routes!(
            settings::late_settings,
            settings::save_late_settings
        ))
        .routes(routes!(catalogue::list, catalogue::create))
        .routes(routes!(
            pms_config::get_config,
            pms_config::put_config,
            pms_config::delete_config
        ))
        .routes(routes!(sync::sync))
        .routes(routes!(import::import))
        .routes(routes!(import::preview))
        .routes(routes!(
            catalogue::get,
            catalogue::update,
            catalogue::delete
        ))
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(templates::update, templates::delete))
        .routes(routes!(preview::preview))
        .routes(routes!(ai::improve))
        .routes(routes!(ai::translate))
        .routes(routes!(ai::usage))
        .routes(routes!(ai::config))
        .routes(routes!(prompts::get, prompts::put))
        .routes(routes!(heatmap_generate::from_pms))
        .routes(routes!(heatmap_generate::from_xlsx))
        .routes(routes!(
            heatmap_settings::thresholds,
            heatmap_settings::save_thresholds
        ))
        .routes(routes!(
            heatmap_settings::columns,
            heatmap_settings::save_columns
        ))
        .routes(routes!(contacts_google::auth))
        .routes(routes!(contacts_google::callback))
        .routes(routes!(contacts_google::status))
        .routes(routes!(contacts_google::disconnect))
        .routes(routes!(
            contacts_preferences::get,
            contacts_preferences::save
        ))
        .routes(routes!(contacts_sync::sync_from_pms))
        .routes(routes!(contacts_sync::export_from_pms))
        .routes(routes!(contacts_sync::sync_from_sheet))
        .routes(routes!(contacts_sync::export_from_sheet))
        .routes(routes!(late_status::status))
        .routes(routes!(late_upload::upload))
        .routes(routes!(late_templates::list, late_templates::create))
        .routes(routes!(late_templates::update, late_templates::delete))
        .routes(routes!(docs::page))
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::openapi_yaml))
        .routes(routes!(docs::asset))
}

/// The OpenAPI document (what `/api/docs/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
    CommonResponses.modify(&mut doc);
    doc
}

/// The whole application: routes, fallbacks and middleware.
pub fn app(state: AppState) -> Router {
    let (mut router, mut openapi) = routes().split_for_parts();
    CommonResponses.modify(&mut openapi);
    let json = openapi.to_json().unwrap_or_else(|_| "{}".to_string());
    // Operations, outside the API document: with METRICS_ADDR the metrics
    // live on their own listener (`metrics_app`) instead.
    if state.settings.ops.metrics_addr.is_none() {
        router = router.route("/metrics", get(metrics::scrape));
    }
    // What no route takes: the JSON 404, or with WEB_ROOT the web app's files.
    router = match &state.settings.ops.web_root {
        Some(dir) => {
            let files = Arc::new(WebRoot::new(dir));
            router.fallback(move |request: Request| {
                let files = Arc::clone(&files);
                async move { files.serve(request).await }
            })
        }
        None => router.fallback(not_found),
    };
    state.set_openapi_json(Bytes::from(json));
    with_middleware(router, state)
}

/// What `METRICS_ADDR` serves: `/metrics` and JSON 404s.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::scrape_open))
        .fallback(not_found)
        .with_state(state)
}
