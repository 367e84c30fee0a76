//! Settings of the operations side: who may read the metrics, and where;
//! the web app served beside the API.

use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// Serve the built web app from this directory beside the API, as the
    /// original's nginx does: `DIR/menu/` the Angular build (base href
    /// /menu/), `DIR/` the static site (11ty `_site`). Unset: the API only.
    #[arg(long, env = "WEB_ROOT")]
    pub web_root: Option<PathBuf>,
    /// `true` when clients reach the service only over HTTPS (a TLS proxy in
    /// front): every answer then carries `Strict-Transport-Security`.
    #[arg(long, env = "BEHIND_HTTPS", default_value_t = false, action = clap::ArgAction::Set)]
    pub behind_https: bool,
}

impl Default for OpsSettings {
    /// The defaults of `--help`.
    fn default() -> Self {
        OpsSettings {
            metrics_allow: "127.0.0.0/8,::1".into(),
            metrics_addr: None,
            web_root: None,
            behind_https: false,
        }
    }
}

impl OpsSettings {
    /// Checks what can be checked before serving: WEB_ROOT is a directory.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(dir) = &self.web_root
            && !dir.is_dir()
        {
            anyhow::bail!("WEB_ROOT {}: not a directory", dir.display());
        }
        Ok(())
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

    #[test]
    fn web_root_must_be_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("index.html");
        std::fs::write(&file, "<p>").unwrap();
        let with = |path: PathBuf| OpsSettings {
            web_root: Some(path),
            ..OpsSettings::default()
        };
        assert!(with(dir.path().to_path_buf()).validate().is_ok());
        let error = with(file).validate().unwrap_err().to_string();
        assert!(error.starts_with("WEB_ROOT ") && error.ends_with("not a directory"));
        assert!(with(dir.path().join("missing")).validate().is_err());
    }
}
