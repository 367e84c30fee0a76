//! Extractors whose rejections are envelopes, one file per kind: the JSON
//! body, a path id, the superadmin's target company, a spreadsheet upload.

pub mod company;
pub mod form;
pub mod json;
pub mod lenient;
pub mod path;
pub mod upload;

pub use company::TargetCompany;
pub use form::{FilePart, FormRules, MultipartForm};
pub use json::{JsonBody, StrictJsonBody};
pub use lenient::JsonOrEmpty;
pub use path::{PathId, PathResource};
pub use upload::{UploadRules, XlsxUpload};
