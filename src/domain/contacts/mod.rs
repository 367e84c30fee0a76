//! Guests as phone contacts (original-domain.md 5.3, original-api.md 13.5-13.6):
//! the phone and check-in rules, grouping of a guest's stays, the company's
//! name template, the dedupe key of a Google sync, and the CSV of Google's
//! import format (`csv.rs`); the reservations spreadsheet of the contacts
//! routes (`sheet.rs`).

pub mod csv;
pub mod preferences;
pub mod sheet;

use chrono::NaiveDate;

use crate::domain::phone::to_e164;

/// One source row (a PMS reservation or a spreadsheet row) with a usable phone.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestRow {
    pub name: String,
    pub phone: String,
    pub check_in: Option<NaiveDate>,
    pub apartments: Vec<String>,
}

/// A guest's stays grouped: one contact per (name, phone).
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// The first-seen spelling.
    pub name: String,
    pub phone: String,
    /// The earliest known check-in.
    pub check_in: Option<NaiveDate>,
    /// Every apartment, first-seen order, no repeats.
    pub apartments: Vec<String>,
}

/// A contact ready to leave: the composed name and the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposedContact {
    pub name: String,
    pub phone: String,
}

/// `parsear_telefono` on text: trimmed; refused when empty, `+`, `0`, starting
/// with `+0`, or 5 characters or fewer. Spaces stay.
pub fn parse_phone(text: &str) -> Option<String> {
    let text = text.trim();
    let refused = text.is_empty()
        || text == "+"
        || text == "0"
        || text.starts_with("+0")
        || text.chars().count() <= 5;
    (!refused).then(|| text.to_string())
}

/// A number cell as Python's `str(int(value))` reads it.
pub fn number_text(value: f64) -> String {
    if value.is_finite() {
        format!("{}", value.trunc() as i64)
    } else {
        value.to_string()
    }
}

fn numbers(text: &str, separator: char) -> Option<Vec<u32>> {
    let parts: Vec<&str> = text.split(separator).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    parts.iter().map(|p| p.parse().ok()).collect()
}

/// `parsear_fecha` on text: `YYYY-MM-DD...`, `YYYY/MM/DD`, `D.M.YYYY`,
/// `D-M-YYYY`, `D/M/YYYY` (month first only when the day cannot be),
/// `D/M/YY` (pivot 69); anything else, or an impossible date, is `None`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let ymd = |y: u32, m: u32, d: u32| NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d);
    if let Some(head) = text.get(..10)
        && head.as_bytes()[4] == b'-'
        && head.as_bytes()[7] == b'-'
        && head
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
    {
        return NaiveDate::parse_from_str(head, "%Y-%m-%d").ok();
    }
    let width = |text: &str, separator: char, widths: [usize; 3]| {
        let parts: Vec<&str> = text.split(separator).collect();
        parts.len() == 3
            && parts
                .iter()
                .zip(widths)
                .all(|(p, w)| w == 0 || p.len() == w)
    };
    if width(text, '/', [4, 2, 2]) {
        let [y, m, d] = numbers(text, '/')?[..] else {
            return None;
        };
        return ymd(y, m, d);
    }
    for separator in ['.', '-'] {
        if let Some(n) = numbers(text, separator)
            && width(text, separator, [0, 0, 4])
            && text.split(separator).take(2).all(|p| p.len() <= 2)
        {
            return ymd(n[2], n[1], n[0]);
        }
    }
    let n = numbers(text, '/')?;
    let parts: Vec<&str> = text.split('/').collect();
    if parts[0].len() > 2 || parts[1].len() > 2 {
        return None;
    }
    match parts[2].len() {
        4 => {
            let (first, second) = (n[0], n[1]);
            if first <= 12 && second > 12 {
                ymd(n[2], first, second)
            } else {
                ymd(n[2], second, first)
            }
        }
        2 => {
            let year = if n[2] < 69 { 2000 + n[2] } else { 1900 + n[2] };
            ymd(year, n[1], n[0])
        }
        _ => None,
    }
}

/// `agrupar_contactos`: one contact per (lower-cased trimmed name, phone),
/// in first-seen order, with the first spelling, every apartment once and
/// the earliest check-in.
pub fn group(rows: impl IntoIterator<Item = GuestRow>) -> Vec<Contact> {
    let mut index: std::collections::HashMap<(String, String), usize> = Default::default();
    let mut out: Vec<Contact> = Vec::new();
    for row in rows {
        let key = (row.name.trim().to_lowercase(), row.phone.clone());
        let slot = *index.entry(key).or_insert_with(|| {
            out.push(Contact {
                name: row.name.clone(),
                phone: row.phone.clone(),
                check_in: None,
                apartments: Vec::new(),
            });
            out.len() - 1
        });
        let contact = &mut out[slot];
        for apartment in row.apartments {
            if !apartment.is_empty() && !contact.apartments.contains(&apartment) {
                contact.apartments.push(apartment);
            }
        }
        contact.check_in = match (contact.check_in, row.check_in) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    out
}

/// `formatear_fecha_salida`: the check-in in one of the six formats
/// (an unknown one falls back to `YYMMDD`).
pub fn format_date(date: NaiveDate, format: &str) -> String {
    let pattern = match format {
        "YYYYMMDD" => "%Y%m%d",
        "DD/MM/YYYY" => "%d/%m/%Y",
        "DD/MM/YY" => "%d/%m/%y",
        "MM/DD/YYYY" => "%m/%d/%Y",
        "DD-MM-YYYY" => "%d-%m-%Y",
        _ => "%y%m%d",
    };
    date.format(pattern).to_string()
}

/// What the name template needs from the preferences.
#[derive(Debug, Clone, PartialEq)]
pub struct NameTemplate {
    pub template: String,
    pub date_format: String,
    pub apartment_separator: String,
}

impl NameTemplate {
    /// `aplicar_plantilla`: `{FECHA}`, then `{APT}`, then `{NOMBRE}`, every
    /// occurrence, then the ends trimmed (inner spaces stay).
    pub fn compose(&self, contact: &Contact) -> String {
        let date = contact
            .check_in
            .map(|d| format_date(d, &self.date_format))
            .unwrap_or_default();
        let apartments = contact.apartments.join(&self.apartment_separator);
        self.template
            .replace("{FECHA}", &date)
            .replace("{APT}", &apartments)
            .replace("{NOMBRE}", &contact.name)
            .trim()
            .to_string()
    }

    pub fn compose_all(&self, contacts: &[Contact]) -> Vec<ComposedContact> {
        contacts
            .iter()
            .map(|c| ComposedContact {
                name: self.compose(c),
                phone: c.phone.clone(),
            })
            .collect()
    }
}

/// The dedupe key of a contact in the Google account: the name lower-cased
/// with its blanks collapsed, and the phone in E.164 when it reads as a
/// number (national numbers as Spanish), else its digits (and a leading `+`).
/// A second sync of the same range finds every key and creates nothing.
pub fn dedupe_key(name: &str, phone: &str) -> (String, String) {
    let name = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let phone = to_e164(phone, "ES").unwrap_or_else(|| {
        let plus = if phone.trim_start().starts_with('+') {
            "+"
        } else {
            ""
        };
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        format!("{plus}{digits}")
    });
    (name, phone)
}

#[cfg(test)]
mod tests;
