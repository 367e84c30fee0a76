//! Which client serves a company's PMS: built once from the settings, then
//! asked for a client per stored configuration. The one place that knows
//! which providers have a client.

use crate::domain::endpoint::check_endpoint;
use crate::integrations::beds24::{self, Beds24Client};
use crate::integrations::http::Outbound;
use crate::integrations::pms::PmsClient;
use crate::integrations::smoobu::{self, SmoobuClient};

/// A company's PMS settings with the key and secret already decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmsCredentials {
    pub provider: String,
    pub key: String,
    pub secret: Option<String>,
    /// The stored endpoint; blank means the provider's default.
    pub endpoint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactoryError {
    /// The endpoint breaks the endpoint rules: the rule's (wire) message.
    #[error("{0}")]
    Endpoint(&'static str),
    #[error("provider '{0}' has no client yet")]
    Unsupported(String),
}

/// A client and the provider's display name (as messages and logs show it).
pub struct Connected {
    pub client: Box<dyn PmsClient>,
    pub name: &'static str,
}

#[derive(Clone)]
pub struct PmsFactory {
    outbound: Outbound,
    allow_private: bool,
}

impl PmsFactory {
    pub fn new(outbound: Outbound, allow_private_endpoints: bool) -> Self {
        PmsFactory {
            outbound,
            allow_private: allow_private_endpoints,
        }
    }

    /// The client for `credentials`. The stored endpoint is checked again:
    /// it may predate the endpoint rules.
    pub fn client(&self, credentials: PmsCredentials) -> Result<Connected, FactoryError> {
        let PmsCredentials {
            provider,
            key,
            secret,
            endpoint,
        } = credentials;
        let base = |default: &str| {
            let text = endpoint
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .unwrap_or(default);
            check_endpoint(text, self.allow_private).map_err(FactoryError::Endpoint)
        };
        match provider.as_str() {
            "smoobu" => Ok(Connected {
                client: Box::new(SmoobuClient::new(
                    self.outbound.clone(),
                    base(smoobu::DEFAULT_BASE_URL)?,
                    key,
                    secret,
                )),
                name: "Smoobu",
            }),
            "beds24" => Ok(Connected {
                client: Box::new(Beds24Client::new(
                    self.outbound.clone(),
                    base(beds24::DEFAULT_BASE_URL)?,
                    key,
                )),
                name: "Beds24",
            }),
            _ => Err(FactoryError::Unsupported(provider)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::endpoint::MSG_ENDPOINT;

    fn credentials(provider: &str, endpoint: Option<&str>) -> PmsCredentials {
        PmsCredentials {
            provider: provider.into(),
            key: "k".into(),
            secret: None,
            endpoint: endpoint.map(str::to_string),
        }
    }

    #[test]
    fn providers_endpoints_and_names() {
        let factory = PmsFactory::new(Outbound::new(false).unwrap(), false);
        let name = |c: PmsCredentials| factory.client(c).map(|c| c.name);
        assert_eq!(name(credentials("smoobu", None)), Ok("Smoobu"));
        assert_eq!(name(credentials("beds24", Some("  "))), Ok("Beds24"));
        assert_eq!(
            name(credentials("smoobu", Some("http://10.0.0.1/"))),
            Err(FactoryError::Endpoint(MSG_ENDPOINT))
        );
        // The provider decides before the endpoint is looked at.
        assert_eq!(
            name(credentials("hostaway", Some("http://10.0.0.1/"))),
            Err(FactoryError::Unsupported("hostaway".into()))
        );
    }
}
