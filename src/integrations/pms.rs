//! What the service needs from a PMS, whatever the provider: its properties
//! (apartment sync) and its reservations by arrival or departure range
//! (heat map, late check-ins, contacts). One trait, one record.

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

use crate::integrations::http::OutboundError;

/// An apartment as the PMS lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmsApartment {
    /// The PMS's id, as text (the catalogue's `id_pms`).
    pub id: String,
    pub name: String,
    pub street: Option<String>,
    pub city: Option<String>,
}

/// Which date a reservation range filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    Arrival,
    Departure,
}

/// Reservations whose arrival (or departure) falls in `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationQuery {
    pub field: DateField,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A reservation, normalised the same way for every provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reservation {
    /// `"Lastname, Firstname"`, or whichever is known, or the guest name.
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `YYYY-MM-DD`.
    pub arrival: Option<String>,
    pub departure: Option<String>,
    pub apartment_name: Option<String>,
    pub apartment_id: Option<String>,
    /// Expected arrival time, `HH:MM`.
    pub arrival_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PmsError {
    #[error("{0}")]
    Outbound(#[from] OutboundError),
    /// The provider answered something we cannot read.
    #[error("unexpected answer: {0}")]
    Format(String),
    /// The provider refused the credentials.
    #[error("credenciales rechazadas por el PMS")]
    Unauthorized,
}

#[async_trait]
pub trait PmsClient: Send + Sync {
    /// Every property, with street and city where the provider has them.
    async fn apartments(&self) -> Result<Vec<PmsApartment>, PmsError>;
    /// Every reservation of the range, handed to `visit` page by page as it
    /// arrives, so a caller that only counts never holds more than a page.
    /// Fields that cost the provider extra calls (Beds24's property names)
    /// may be left out here; `reservations` has them.
    async fn each_reservation(
        &self,
        query: ReservationQuery,
        visit: &mut (dyn FnMut(Reservation) + Send),
    ) -> Result<(), PmsError>;

    /// Every reservation of the range, all pages read, every field filled.
    async fn reservations(&self, query: ReservationQuery) -> Result<Vec<Reservation>, PmsError> {
        let mut out = Vec::new();
        self.each_reservation(query, &mut |r| out.push(r)).await?;
        Ok(out)
    }
}

/// The display name of a guest: `"Lastname, Firstname"`, either alone, or
/// the provider's full name; `None` when there is nothing.
pub fn guest_name(first: Option<&str>, last: Option<&str>, full: Option<&str>) -> Option<String> {
    let clean = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match (clean(first), clean(last)) {
        (Some(f), Some(l)) => Some(format!("{l}, {f}")),
        (Some(one), None) | (None, Some(one)) => Some(one),
        (None, None) => clean(full),
    }
}

/// `(+34) 600 000 000` becomes `+34 600 000 000`; blank becomes `None`.
pub fn phone(text: Option<&str>) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("(+") {
        let Some(end) = rest[start..].find(')') else {
            break;
        };
        let digits = &rest[start + 2..start + end];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        out.push_str(&rest[..start]);
        out.push('+');
        out.push_str(digits);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_names_prefer_last_first() {
        assert_eq!(
            guest_name(Some(" Ana "), Some("López"), Some("x")).as_deref(),
            Some("López, Ana")
        );
        assert_eq!(
            guest_name(None, Some("López"), None).as_deref(),
            Some("López")
        );
        assert_eq!(
            guest_name(Some(""), None, Some(" Ana López ")).as_deref(),
            Some("Ana López")
        );
        assert_eq!(guest_name(None, None, Some("  ")), None);
    }

    #[test]
    fn phones_lose_the_brackets_of_the_prefix() {
        assert_eq!(
            phone(Some("(+34) 600 000 000")).as_deref(),
            Some("+34 600 000 000")
        );
        assert_eq!(
            phone(Some("+44 20 7946 0958")).as_deref(),
            Some("+44 20 7946 0958")
        );
        assert_eq!(phone(Some("  ")), None);
        assert_eq!(phone(None), None);
    }
}
