//! A multipart form with several named parts (files and text fields), read
//! as Werkzeug reads `request.files` and `request.form`: a part with a file
//! name (even an empty one) is a file, any other a text field, and the first
//! part of each name wins. A body that is not multipart, or breaks off, is
//! the parts read whole so far: the route's own "missing" messages answer.
//! Over `MAX_UPLOAD_BYTES` is 413.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;

use crate::http::budget::UploadShare;
use crate::http::error::AppError;
use crate::http::state::AppState;

/// The parts a route reads; any other part is skipped unread.
pub trait FormRules {
    const FILES: &'static [&'static str];
    const FIELDS: &'static [&'static str];
}

#[derive(Debug, Clone)]
pub struct FilePart {
    /// As sent; may be empty.
    pub file_name: String,
    pub bytes: Bytes,
}

impl FilePart {
    /// The original's extension rule: the name ends in `.xlsx`, any case.
    pub fn is_xlsx(&self) -> bool {
        self.file_name.to_lowercase().ends_with(".xlsx")
    }
}

#[derive(Debug)]
pub struct MultipartForm<R> {
    files: Vec<(&'static str, FilePart)>,
    fields: Vec<(&'static str, String)>,
    rules: PhantomData<fn() -> R>,
}

impl<R> MultipartForm<R> {
    pub fn file(&self, name: &str) -> Option<&FilePart> {
        self.files.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<R: FormRules> FromRequest<AppState> for MultipartForm<R> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let share = UploadShare::for_body(state, &req).await?;
        let mut form = MultipartForm {
            files: Vec::new(),
            fields: Vec::new(),
            rules: PhantomData,
        };
        let Ok(mut multipart) = Multipart::from_request(req, state).await else {
            return Ok(form);
        };
        let too_large = |status: StatusCode| status == StatusCode::PAYLOAD_TOO_LARGE;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(err) if too_large(err.status()) => return Err(AppError::too_large()),
                Err(_) => break,
            };
            let name = field.name().unwrap_or_default();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let Some(&name) = R::FILES.iter().find(|n| **n == name) else {
                        continue;
                    };
                    if form.file(name).is_some() {
                        continue;
                    }
                    match field.bytes().await {
                        Ok(bytes) => form.files.push((
                            name,
                            FilePart {
                                file_name,
                                bytes: share.hold(bytes),
                            },
                        )),
                        Err(err) if too_large(err.status()) => {
                            return Err(AppError::too_large());
                        }
                        Err(_) => break,
                    }
                }
                None => {
                    let Some(&name) = R::FIELDS.iter().find(|n| **n == name) else {
                        continue;
                    };
                    if form.field(name).is_some() {
                        continue;
                    }
                    match field.text().await {
                        Ok(text) => form.fields.push((name, text)),
                        Err(err) if too_large(err.status()) => {
                            return Err(AppError::too_large());
                        }
                        Err(_) => break,
                    }
                }
            }
        }
        Ok(form)
    }
}
