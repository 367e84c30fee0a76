//! The contacts as a CSV in Google Contacts' import format, byte for byte as
//! the original writes it (UTF-8 with a BOM, CRLF after every row, fields
//! quoted only when they hold a comma, a quote or a line break), with one
//! fix: a cell a spreadsheet would run as a formula is neutralised.

use super::ComposedContact;
use crate::domain::phone::is_international_number;

pub const HEADER: [&str; 9] = [
    "Name",
    "Given Name",
    "Family Name",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Notes",
];
const BOM: &str = "\u{feff}";
const GROUP: &str = "* myContacts";

/// A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` so that no spreadsheet runs it as a formula; a `+` that starts
/// a valid international phone number is left alone.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !(cell.starts_with('+') && is_international_number(cell)) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Python's csv "excel" dialect, QUOTE_MINIMAL.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn push_row<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, field);
    }
    out.push_str("\r\n");
}

/// The whole file: BOM, header, one row per contact.
pub fn write(contacts: &[ComposedContact]) -> Vec<u8> {
    let mut out = String::with_capacity(BOM.len() + 120 + contacts.len() * 64);
    out.push_str(BOM);
    push_row(&mut out, HEADER);
    for contact in contacts {
        let name = neutralise(&contact.name);
        let phone = neutralise(&contact.phone);
        push_row(&mut out, [&*name, "", "", GROUP, "", "", "", &*phone, ""]);
    }
    out.into_bytes()
}
