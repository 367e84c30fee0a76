//! The application: every API route is registered through `routes()` so the
//! OpenAPI document and the router cannot disagree; then the middleware stack.

use axum::body::Bytes;
use axum::{Extension, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::features::apartments::{catalogue, import, pms_config, sync};
use crate::features::profile::{account, integrations, settings};
use crate::features::vault::{ai, prompts, templates};
use crate::features::{auth, companies, health, users};
use crate::http::docs::{self, OpenApiJson};
use crate::http::middleware::with_middleware;
use crate::http::state::AppState;

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

/// Every route of the service with its documentation.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(auth::csrf_token))
        .routes(routes!(auth::login))
        .routes(routes!(auth::validacion))
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
        .routes(routes!(templates::preview))
        .routes(routes!(ai::improve))
        .routes(routes!(ai::translate))
        .routes(routes!(ai::usage))
        .routes(routes!(ai::config))
        .routes(routes!(prompts::get, prompts::put))
        .routes(routes!(docs::page))
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::openapi_yaml))
        .routes(routes!(docs::asset))
}

/// The OpenAPI document (what `/api/docs/openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// The whole application: routes, fallbacks and middleware.
pub fn app(state: AppState) -> Router {
    let (router, openapi) = routes().split_for_parts();
    let json = openapi.to_json().unwrap_or_else(|_| "{}".to_string());
    with_middleware(
        router.layer(Extension(OpenApiJson(Bytes::from(json)))),
        state,
    )
}
