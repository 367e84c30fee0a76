//! The router: every API route is registered through `routes()` so the
//! OpenAPI document and the router cannot disagree; then the middleware.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::features::apartments::{catalogue, import, pms_config};
use crate::features::{auth, companies, health, profile, users};
use crate::http::cors::{AllowedOrigins, cors};
use crate::http::docs::{self, OpenApiJson};
use crate::http::middleware::{
    content_length_limit, method_not_allowed, not_found, panic_response, request_log,
};
use crate::http::ratelimit;
use crate::state::AppState;

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
        .routes(routes!(profile::profile))
        .routes(routes!(profile::change_password))
        .routes(routes!(profile::integrations))
        .routes(routes!(profile::save_pms, profile::delete_pms))
        .routes(routes!(profile::save_ai, profile::delete_ai))
        .routes(routes!(profile::xlsx_settings, profile::save_xlsx_settings))
        .routes(routes!(profile::late_settings, profile::save_late_settings))
        .routes(routes!(catalogue::list, catalogue::create))
        .routes(routes!(
            pms_config::get_config,
            pms_config::put_config,
            pms_config::delete_config
        ))
        .routes(routes!(pms_config::sync))
        .routes(routes!(import::import))
        .routes(routes!(import::preview))
        .routes(routes!(
            catalogue::get,
            catalogue::update,
            catalogue::delete
        ))
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

/// Fallbacks and the middleware stack (outermost last) around `router`.
/// Public so tests can put probe routes behind the very same stack.
pub fn with_middleware(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(from_fn_with_state(state.clone(), content_length_limit))
        .layer(DefaultBodyLimit::max(state.settings.max_upload_bytes))
        .layer(from_fn_with_state(
            AllowedOrigins::new(state.settings.allowed_origins()),
            cors,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn(request_log))
        .with_state(state)
}
