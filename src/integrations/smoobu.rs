//! Smoobu (`https://login.smoobu.com`): apartments and reservations.
//!
//! Since 2026-09-25 Smoobu refuses the bare `Api-Key` header: every request is
//! signed. Headers `X-API-Key`, `X-Timestamp` (ISO 8601 UTC, whole seconds),
//! `X-Nonce` (fresh UUID) and `X-Signature` = base64(HMAC-SHA256(secret as
//! text, lines joined by `\n`: method, path, query sorted by name and
//! percent-encoded, timestamp, nonce, hex SHA-256 of the body, key)).
//! Without a secret the legacy `Api-Key` header is sent.

use async_trait::async_trait;
use base64::Engine as _;
use chrono::{SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::domain::dates::{clock_time, pms_date};
use crate::integrations::http::{Outbound, OutboundError};
use crate::integrations::pms::{
    DateField, PmsApartment, PmsClient, PmsError, Reservation, ReservationQuery, guest_name, phone,
};

pub const DEFAULT_BASE_URL: &str = "https://login.smoobu.com";
/// Smoobu's largest page.
const PAGE_SIZE: u32 = 100;
/// A guard against a provider that never says it is done.
const MAX_PAGES: u32 = 500;
/// Apartments read in one sync (each costs a detail call).
const MAX_APARTMENTS: usize = 2_000;

/// Percent-encodes all but RFC 3986's unreserved characters (`[]` becomes `%5B%5D`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The query as signed and sent: pairs sorted by name (then value), encoded.
pub fn canonical_query(pairs: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `X-Signature` of a request.
#[allow(clippy::too_many_arguments)]
pub fn signature(
    secret: &str,
    method: &str,
    path: &str,
    query: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
    key: &str,
) -> String {
    let body_hash: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let text = [method, path, query, timestamp, nonce, &body_hash, key].join("\n");
    // HMAC accepts keys of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length"); // ok: cannot fail
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[derive(Clone)]
pub struct SmoobuClient {
    http: Outbound,
    base: Url,
    key: String,
    secret: Option<String>,
}

impl SmoobuClient {
    pub fn new(http: Outbound, mut base: Url, key: String, secret: Option<String>) -> Self {
        // Relative joins keep a path prefix of the endpoint (".../smoobu/api/...").
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        SmoobuClient {
            http,
            base,
            key,
            secret,
        }
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, PmsError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| PmsError::Format(e.to_string()))?;
        let query = canonical_query(query);
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        let mut request = self
            .http
            .request(reqwest::Method::GET, url.clone())?
            .header("Accept", "application/json");
        request = match &self.secret {
            Some(secret) => {
                let timestamp = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
                let nonce = uuid::Uuid::new_v4().to_string();
                let signed = signature(
                    secret,
                    "GET",
                    url.path(),
                    &query,
                    &timestamp,
                    &nonce,
                    b"",
                    &self.key,
                );
                request
                    .header("X-API-Key", &self.key)
                    .header("X-Timestamp", timestamp)
                    .header("X-Nonce", nonce)
                    .header("X-Signature", signed)
            }
            None => request.header("Api-Key", &self.key),
        };
        match self.http.send_json("smoobu", request).await {
            Err(OutboundError::Status(401 | 403)) => Err(PmsError::Unauthorized),
            other => Ok(other?),
        }
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A Smoobu booking as a reservation; `None` when it names no guest.
pub fn reservation(booking: &Value) -> Option<Reservation> {
    let field = |name: &str| booking.get(name).and_then(Value::as_str);
    let name = guest_name(field("firstname"), field("lastname"), field("guest-name"))?;
    let apartment = booking.get("apartment");
    Some(Reservation {
        name,
        phone: phone(field("phone")),
        email: field("email")
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string),
        arrival: field("arrival").and_then(pms_date),
        departure: field("departure").and_then(pms_date),
        apartment_name: apartment.and_then(|a| a.get("name")).and_then(text),
        apartment_id: apartment.and_then(|a| a.get("id")).and_then(text),
        // Smoobu sends the expected arrival as `check-in` ("HH:MM").
        arrival_time: field("check-in").and_then(clock_time),
    })
}

#[async_trait]
impl PmsClient for SmoobuClient {
    async fn apartments(&self) -> Result<Vec<PmsApartment>, PmsError> {
        let list = self.get("api/apartments", &[]).await?;
        let entries = list
            .get("apartments")
            .and_then(Value::as_array)
            .ok_or_else(|| PmsError::Format("no apartments list".into()))?;
        if entries.len() > MAX_APARTMENTS {
            return Err(PmsError::Format(format!(
                "más de {MAX_APARTMENTS} apartamentos"
            )));
        }
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let (Some(id), Some(name)) = (
                entry.get("id").and_then(text),
                entry.get("name").and_then(text),
            ) else {
                continue;
            };
            // As the original: an apartment whose details cannot be read is skipped.
            let Ok(detail) = self
                .get(&format!("api/apartments/{}", percent_encode(&id)), &[])
                .await
            else {
                tracing::warn!(apartment = %id, "Smoobu apartment details unavailable; skipped");
                continue;
            };
            let location = detail.get("location");
            out.push(PmsApartment {
                id,
                name,
                street: location.and_then(|l| l.get("street")).and_then(text),
                city: location.and_then(|l| l.get("city")).and_then(text),
            });
        }
        Ok(out)
    }

    async fn each_reservation(
        &self,
        query: ReservationQuery,
        visit: &mut (dyn FnMut(Reservation) + Send),
    ) -> Result<(), PmsError> {
        let (from_key, to_key) = match query.field {
            DateField::Arrival => ("arrivalFrom", "arrivalTo"),
            DateField::Departure => ("departureFrom", "departureTo"),
        };
        for page in 1..=MAX_PAGES {
            let params = [
                (from_key, query.from.format("%Y-%m-%d").to_string()),
                (to_key, query.to.format("%Y-%m-%d").to_string()),
                ("pageSize", PAGE_SIZE.to_string()),
                ("page", page.to_string()),
            ];
            let body = self.get("api/reservations", &params).await?;
            let bookings = body
                .get("bookings")
                .and_then(Value::as_array)
                .ok_or_else(|| PmsError::Format("no bookings list".into()))?;
            bookings
                .iter()
                .filter_map(reservation)
                .for_each(&mut *visit);
            let page_count = body.get("page_count").and_then(Value::as_u64).unwrap_or(1);
            if bookings.is_empty() || u64::from(page) >= page_count {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signature_matches_a_vector_made_with_python_hmac() {
        let query = canonical_query(&[
            ("page", "1".into()),
            ("arrivalFrom", "2026-11-01".into()),
            ("apartments[]", "12".into()),
        ]);
        assert_eq!(query, "apartments%5B%5D=12&arrivalFrom=2026-11-01&page=1");
        // base64(hmac.new(b"s3cr3t", "\n".join(lines).encode(), sha256).digest()) in Python.
        let signed = signature(
            "s3cr3t",
            "GET",
            "/api/reservations",
            &query,
            "2026-11-26T07:10:00Z",
            "6f1c9a0e-3b7d-4e52-9a8b-2d4c1e0f7a11",
            b"",
            "KEY123",
        );
        assert_eq!(signed, "vXgpE+Ddk3md5CO8dmly2vG+viNi/iXJpHyozHmM/+E=");
    }

    #[test]
    fn bookings_are_normalised() {
        let booking = json!({
            "id": 7, "arrival": "2026-12-01", "departure": "03.12.2026", "firstname": "Ana", "lastname": "López",
            "guest-name": "Ana López", "email": " ", "phone": "(+34) 600 111 222", "check-in": "9:30",
            "apartment": {"id": 101, "name": "Ático Centro"}
        });
        assert_eq!(
            reservation(&booking).unwrap(),
            Reservation {
                name: "López, Ana".into(),
                phone: Some("+34 600 111 222".into()),
                email: None,
                arrival: Some("2026-12-01".into()),
                departure: Some("2026-12-03".into()),
                apartment_name: Some("Ático Centro".into()),
                apartment_id: Some("101".into()),
                arrival_time: Some("09:30".into()),
            }
        );
        assert_eq!(
            reservation(&json!({"firstname": null, "lastname": null, "guest-name": ""})),
            None,
            "no guest: dropped, no panic"
        );
    }
}
