//! Extractors whose rejections are envelopes: the lenient JSON body of the
//! original, and the client IP behind trusted proxies.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use ipnet::IpNet;
use serde_json::Value;

use crate::http::error::{AppError, MSG_JSON_EXPECTED, MSG_MEDIA_TYPE};
use crate::state::AppState;

/// A JSON body that is present and "truthy" (not `{}`, `[]`, `null`, `0`,
/// `""`, `false`), else 400 `Se esperaba un cuerpo JSON.` as the original.
/// A body sent with another content type is 415; too large, 413.
#[derive(Debug)]
pub struct JsonBody(pub Value);

pub fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("invalid").to_string());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::too_large()
            } else {
                AppError::bad_request(MSG_JSON_EXPECTED)
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(AppError::bad_request(MSG_JSON_EXPECTED));
        }
        match content_type.as_deref() {
            Some(ct) if is_json_content_type(ct) => {}
            _ => {
                return Err(AppError::one(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    MSG_MEDIA_TYPE,
                ));
            }
        }
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|_| AppError::bad_request(MSG_JSON_EXPECTED))?;
        if is_falsy(&value) {
            return Err(AppError::bad_request(MSG_JSON_EXPECTED));
        }
        Ok(JsonBody(value))
    }
}

/// Python truthiness of a JSON value.
pub fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// The client's IP: the peer address, or, when the peer is a trusted proxy,
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(chain) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in chain.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A garbled entry: stop at the last address we could trust.
            Err(_) => break,
        }
    }
    client
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip_of(parts, &state.trusted_proxies)))
    }
}

pub fn client_ip_of(parts: &Parts, trusted: &[IpNet]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    client_ip(peer, forwarded, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(peer, Some("203.0.113.9"), &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // Spoofed left-most entries are ignored: the right-most untrusted hop wins.
        assert_eq!(
            client_ip(peer, Some("1.1.1.1, 203.0.113.9, 10.0.0.7"), &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(client_ip(stranger, Some("203.0.113.9"), &trusted), stranger);
        assert_eq!(client_ip(peer, None, &trusted), peer);
        assert_eq!(client_ip(peer, Some("garbage"), &trusted), peer);
    }

    #[test]
    fn python_truthiness() {
        for falsy in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(is_falsy(&falsy), "{falsy}");
        }
        for truthy in [
            json!(true),
            json!(1),
            json!("a"),
            json!([0]),
            json!({"a": 1}),
        ] {
            assert!(!is_falsy(&truthy), "{truthy}");
        }
    }

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("application/json; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
    }
}
