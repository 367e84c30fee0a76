//! Settings of the serve loop: how long a client may take to send a request,
//! how long an idle connection is kept, how many connections are held at once.

use std::time::Duration;

use clap::Args;

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ServerLimits {
    /// Seconds a client gets to send a request's headers, from its first byte
    /// (or from connecting, for the first request); then the connection is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,
    /// Seconds a request body may take to arrive whole, from when it is first
    /// read; then 408.
    #[arg(long, env = "BODY_READ_TIMEOUT_SECONDS", default_value_t = 30)]
    pub body_read_timeout_seconds: u64,
    /// Seconds a kept-alive connection with no request in flight stays open.
    #[arg(long, env = "KEEPALIVE_IDLE_SECONDS", default_value_t = 75)]
    pub keepalive_idle_seconds: u64,
    /// Connections held at once; more are closed as soon as accepted.
    /// Unset: the open-files limit less 256, at most 50000.
    #[arg(long, env = "MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

impl Default for ServerLimits {
    /// The defaults of `--help`.
    fn default() -> Self {
        ServerLimits {
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 30,
            keepalive_idle_seconds: 75,
            max_connections: None,
        }
    }
}

/// File descriptors kept back from connections: database and Redis pools,
/// log and data files, outbound calls.
const RESERVED_FDS: u64 = 256;
const DEFAULT_MAX_CONNECTIONS: u64 = 50_000;

impl ServerLimits {
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, value) in [
            (
                "HEADER_READ_TIMEOUT_SECONDS",
                self.header_read_timeout_seconds,
            ),
            ("BODY_READ_TIMEOUT_SECONDS", self.body_read_timeout_seconds),
            ("KEEPALIVE_IDLE_SECONDS", self.keepalive_idle_seconds),
        ] {
            if !(1..=3600).contains(&value) {
                anyhow::bail!("{name} must be between 1 and 3600");
            }
        }
        if self.max_connections == Some(0) {
            anyhow::bail!("MAX_CONNECTIONS must be at least 1");
        }
        Ok(())
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_seconds)
    }

    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_seconds)
    }

    pub fn keepalive_idle(&self) -> Duration {
        Duration::from_secs(self.keepalive_idle_seconds)
    }

    /// `MAX_CONNECTIONS`, or what the open-files limit `fd_limit` leaves.
    pub fn max_connections(&self, fd_limit: u64) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let derived = fd_limit
                .saturating_sub(RESERVED_FDS)
                .clamp(1, DEFAULT_MAX_CONNECTIONS);
            usize::try_from(derived).unwrap_or(usize::MAX)
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        server: ServerLimits,
    }

    #[test]
    fn defaults_match_help_and_derive_the_cap_from_the_fd_limit() {
        let parsed = Probe::parse_from(["probe"]).server;
        assert_eq!(parsed, ServerLimits::default());
        assert!(parsed.validate().is_ok());
        assert_eq!(parsed.max_connections(1024), 768);
        assert_eq!(parsed.max_connections(1_048_576), 50_000);
        assert_eq!(parsed.max_connections(100), 1);
        let fixed = ServerLimits {
            max_connections: Some(7),
            ..ServerLimits::default()
        };
        assert_eq!(fixed.max_connections(1024), 7);
    }

    #[test]
    fn zero_timeouts_and_caps_are_refused() {
        for limits in [
            ServerLimits {
                header_read_timeout_seconds: 0,
                ..ServerLimits::default()
            },
            ServerLimits {
                keepalive_idle_seconds: 0,
                ..ServerLimits::default()
            },
            ServerLimits {
                max_connections: Some(0),
                ..ServerLimits::default()
            },
        ] {
            assert!(limits.validate().is_err());
        }
    }
}
