//! A spreadsheet upload: one multipart file field with a `.xlsx` name and
//! content, checked before anything is parsed. Each route names its field
//! and its messages (the original's differ from route to route).

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;

use crate::http::budget::UploadShare;
use crate::http::error::AppError;
use crate::http::state::AppState;

/// The field and messages of one upload route.
pub trait UploadRules {
    const FIELD: &'static str;
    /// No such file field (or no multipart body at all).
    const MSG_MISSING: &'static str;
    /// The file's name does not end in `.xlsx` (any case).
    const MSG_NOT_XLSX: &'static str;
    /// `None`: an empty file goes on to the parser, which refuses it.
    const MSG_EMPTY: Option<&'static str>;
}

/// The bytes of the `R::FIELD` file. A part without a file name is a form
/// value, not a file; over `MAX_UPLOAD_BYTES` is 413.
#[derive(Debug)]
pub struct XlsxUpload<R>(pub Bytes, pub PhantomData<R>);

/// The multipart body as documented: the one required `R::FIELD` file. Use it
/// as `request_body(content = inline(XlsxUpload<R>), content_type = "multipart/form-data")`.
impl<R: UploadRules> utoipa::PartialSchema for XlsxUpload<R> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let file = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "The .xlsx spreadsheet (a file part with a `.xlsx` name)",
            ));
        ObjectBuilder::new()
            .property(R::FIELD, file)
            .required(R::FIELD)
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ))
            .build()
            .into()
    }
}

impl<R: UploadRules> utoipa::ToSchema for XlsxUpload<R> {}

impl<R: UploadRules> FromRequest<AppState> for XlsxUpload<R> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let share = UploadShare::for_body(state, &req).await?;
        let missing = || AppError::bad_request(R::MSG_MISSING);
        let too_large_or = |status: StatusCode| {
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::too_large()
            } else {
                missing()
            }
        };
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|_| missing())?;
        loop {
            let field = multipart
                .next_field()
                .await
                .map_err(|err| too_large_or(err.status()))?
                .ok_or_else(missing)?;
            if field.name() != Some(R::FIELD) || field.file_name().is_none() {
                continue;
            }
            let is_xlsx = field
                .file_name()
                .is_some_and(|n| n.to_lowercase().ends_with(".xlsx"));
            if !is_xlsx {
                return Err(AppError::bad_request(R::MSG_NOT_XLSX));
            }
            let bytes = field
                .bytes()
                .await
                .map_err(|err| too_large_or(err.status()))?;
            if let Some(message) = R::MSG_EMPTY.filter(|_| bytes.is_empty()) {
                return Err(AppError::bad_request(message));
            }
            return Ok(XlsxUpload(share.hold(bytes), PhantomData));
        }
    }
}
