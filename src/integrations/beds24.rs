//! Beds24 API v2 (`https://api.beds24.com/v2`): properties and bookings.
//!
//! Every call carries a `token` header. The stored key is either a
//! long-life token (used as is) or a refresh token: when a call answers 401,
//! `GET /authentication/token` with header `refreshToken` gives a
//! short-lived token, kept until it is refused again.

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::domain::dates::{clock_time, pms_date};
use crate::integrations::http::{Outbound, OutboundError};
use crate::integrations::pms::{
    DateField, PmsApartment, PmsClient, PmsError, Reservation, ReservationQuery, guest_name, phone,
};

pub const DEFAULT_BASE_URL: &str = "https://api.beds24.com/v2/";
const MAX_PAGES: u32 = 500;

pub struct Beds24Client {
    http: Outbound,
    base: Url,
    credential: String,
    /// The token in use: the credential itself at first, then one obtained
    /// from it as a refresh token.
    token: Mutex<String>,
}

impl Beds24Client {
    pub fn new(http: Outbound, mut base: Url, credential: String) -> Self {
        // Relative joins need the base to end in a slash (".../v2/").
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Beds24Client {
            http,
            base,
            token: Mutex::new(credential.clone()),
            credential,
        }
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, PmsError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| PmsError::Format(e.to_string()))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    async fn call(&self, url: &Url, token: &str) -> Result<Value, OutboundError> {
        let request = self
            .http
            .request(reqwest::Method::GET, url.clone())?
            .header("token", token)
            .header("Accept", "application/json");
        self.http.send_json("beds24", request).await
    }

    /// A short-lived token from the stored refresh token.
    async fn refresh(&self) -> Result<String, PmsError> {
        let url = self.url("authentication/token", &[])?;
        let request = self
            .http
            .request(reqwest::Method::GET, url)?
            .header("refreshToken", &self.credential);
        let body = match self.http.send_json("beds24", request).await {
            Err(OutboundError::Status(400 | 401 | 403)) => return Err(PmsError::Unauthorized),
            other => other?,
        };
        body.get("token")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(PmsError::Unauthorized)
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, PmsError> {
        let url = self.url(path, query)?;
        let current = self.token.lock().await.clone();
        match self.call(&url, &current).await {
            Err(OutboundError::Status(401)) => {
                let fresh = self.refresh().await?;
                *self.token.lock().await = fresh.clone();
                match self.call(&url, &fresh).await {
                    Err(OutboundError::Status(401 | 403)) => Err(PmsError::Unauthorized),
                    other => Ok(other?),
                }
            }
            Err(OutboundError::Status(403)) => Err(PmsError::Unauthorized),
            other => Ok(other?),
        }
    }

    /// Every page of a list endpoint (`data`, `pages.nextPageExists`).
    async fn all_pages(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>, PmsError> {
        let mut out = Vec::new();
        self.each_page(path, query, |data| out.extend(data.iter().cloned()))
            .await?;
        Ok(out)
    }

    /// Each page's `data` in turn, dropped before the next is fetched.
    async fn each_page(
        &self,
        path: &str,
        query: &[(&str, String)],
        mut on_page: impl FnMut(&[Value]) + Send,
    ) -> Result<(), PmsError> {
        for page in 1..=MAX_PAGES {
            let mut params = query.to_vec();
            params.push(("page", page.to_string()));
            let body = self.get(path, &params).await?;
            if body.get("success").and_then(Value::as_bool) == Some(false) {
                return Err(PmsError::Format(
                    body.get("error")
                        .map(Value::to_string)
                        .unwrap_or_else(|| "success: false".into()),
                ));
            }
            let data = body
                .get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| PmsError::Format("no data list".into()))?;
            on_page(data);
            let more = body
                .pointer("/pages/nextPageExists")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !more || data.is_empty() {
                break;
            }
        }
        Ok(())
    }

    /// The bookings of `query`, normalised with `property_name`.
    async fn each_booking(
        &self,
        query: ReservationQuery,
        property_name: impl Fn(&str) -> Option<String> + Send + Sync,
        visit: &mut (dyn FnMut(Reservation) + Send),
    ) -> Result<(), PmsError> {
        let (from_key, to_key) = match query.field {
            DateField::Arrival => ("arrivalFrom", "arrivalTo"),
            DateField::Departure => ("departureFrom", "departureTo"),
        };
        let params = [
            (from_key, query.from.format("%Y-%m-%d").to_string()),
            (to_key, query.to.format("%Y-%m-%d").to_string()),
        ];
        self.each_page("bookings", &params, |data| {
            data.iter()
                .filter_map(|b| reservation(b, &property_name))
                .for_each(&mut *visit)
        })
        .await
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A Beds24 booking as a reservation; `None` when it names no guest.
pub fn reservation(
    booking: &Value,
    property_name: impl Fn(&str) -> Option<String>,
) -> Option<Reservation> {
    let field = |name: &str| booking.get(name).and_then(Value::as_str);
    let name = guest_name(field("firstName"), field("lastName"), None)?;
    let property = text(booking.get("propertyId"));
    Some(Reservation {
        name,
        phone: phone(field("phone")).or_else(|| phone(field("mobile"))),
        email: field("email")
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string),
        arrival: field("arrival").and_then(pms_date),
        departure: field("departure").and_then(pms_date),
        apartment_name: property.as_deref().and_then(&property_name),
        apartment_id: property,
        arrival_time: field("arrivalTime").and_then(clock_time),
    })
}

#[async_trait]
impl PmsClient for Beds24Client {
    async fn apartments(&self) -> Result<Vec<PmsApartment>, PmsError> {
        let properties = self.all_pages("properties", &[]).await?;
        Ok(properties
            .iter()
            .filter_map(|p| {
                Some(PmsApartment {
                    id: text(p.get("id"))?,
                    name: text(p.get("name"))?,
                    street: text(p.get("address")),
                    city: text(p.get("city")),
                })
            })
            .collect())
    }

    /// Without property names: they cost a crawl of every property page.
    async fn each_reservation(
        &self,
        query: ReservationQuery,
        visit: &mut (dyn FnMut(Reservation) + Send),
    ) -> Result<(), PmsError> {
        self.each_booking(query, |_| None, visit).await
    }

    async fn reservations(&self, query: ReservationQuery) -> Result<Vec<Reservation>, PmsError> {
        let names: Vec<(String, String)> = self
            .apartments()
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        let lookup = |id: &str| names.iter().find(|(k, _)| k == id).map(|(_, n)| n.clone());
        let mut out = Vec::new();
        self.each_booking(query, lookup, &mut |r| out.push(r))
            .await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bookings_are_normalised() {
        let booking = json!({"id": 9, "firstName": "Luis", "lastName": "Gil", "mobile": "(+34) 611 222 333", "email": "l@x.es",
                             "arrival": "2026-12-05", "departure": "2026-12-08", "propertyId": 55, "arrivalTime": "18:00"});
        let r = reservation(&booking, |id| (id == "55").then(|| "Casa Sol".to_string())).unwrap();
        assert_eq!(r.name, "Gil, Luis");
        assert_eq!(r.phone.as_deref(), Some("+34 611 222 333"));
        assert_eq!(
            (r.apartment_id.as_deref(), r.apartment_name.as_deref()),
            (Some("55"), Some("Casa Sol"))
        );
        assert_eq!(
            (r.arrival.as_deref(), r.arrival_time.as_deref()),
            (Some("2026-12-05"), Some("18:00"))
        );
        assert!(reservation(&json!({"firstName": null}), |_| None).is_none());
    }
}
