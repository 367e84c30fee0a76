//! Settings of the operations side: who may read the metrics, and where.

use std::net::SocketAddr;

use clap::Args;

#[derive(Debug, Clone, PartialEq, Args)]
pub struct OpsSettings {
    /// Clients that may read `GET /metrics` on the main port: IPs and CIDRs,
    /// comma-separated (the client address after TRUSTED_PROXIES).
    #[arg(long, env = "METRICS_ALLOW", default_value = "127.0.0.0/8,::1")]
    pub metrics_allow: String,
    /// Serve `/metrics` on this address instead (e.g. `127.0.0.1:9464`), to
    /// anyone who reaches it; the main port then does not serve it.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

impl Default for OpsSettings {
    /// The defaults of `--help`.
    fn default() -> Self {
        OpsSettings {
            metrics_allow: "127.0.0.0/8,::1".into(),
            metrics_addr: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        ops: OpsSettings,
    }

    #[test]
    fn default_is_what_help_shows() {
        assert_eq!(Probe::parse_from(["probe"]).ops, OpsSettings::default());
    }
}
