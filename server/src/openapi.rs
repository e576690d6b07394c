//! `GET /v1/openapi.json`: the OpenAPI 3.1 description, generated (utoipa)
//! from the handlers' own annotations, so it cannot drift from the routes.

use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Valence service", description = "Signed compatibility graphs and labelled datasets over HTTP: jobs, queries, uploads, downloads."),
    paths(
        crate::routes::health,
        crate::routes::submit,
        crate::routes::list,
        crate::routes::status,
        crate::routes::cancel,
        crate::routes::query,
        crate::transfer::upload_catalogue,
        crate::transfer::upload_graph,
        crate::transfer::download_dataset,
        crate::transfer::download_edges,
        crate::board::post_evaluations,
        crate::board::get_leaderboard,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme.
struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        api.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
