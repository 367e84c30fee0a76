//! Settings of the Google Contacts integration: the OAuth client, where the
//! browser goes back to after consent, and the base URLs of Google's
//! endpoints (authorize, token, People API, revoke), configurable for
//! proxies and local mocks.

use clap::Args;

pub const DEFAULT_OAUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const DEFAULT_PEOPLE_URL: &str = "https://people.googleapis.com/v1";
pub const DEFAULT_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:5000/api/contactos/google/callback";
pub const DEFAULT_FRONTEND_BASE_URL: &str = "http://localhost:4200";

#[derive(Debug, Clone, PartialEq, Args)]
pub struct GoogleSettings {
    /// OAuth client id of the Google Cloud project (empty: the consent page refuses it).
    #[arg(long, env = "GOOGLE_CLIENT_ID", default_value = "")]
    pub client_id: String,
    /// OAuth client secret.
    #[arg(
        long,
        env = "GOOGLE_CLIENT_SECRET",
        default_value = "",
        hide_env_values = true
    )]
    pub client_secret: String,
    /// Where Google sends the browser back: this service's /api/contactos/google/callback.
    #[arg(long, env = "GOOGLE_REDIRECT_URI", default_value = DEFAULT_REDIRECT_URI)]
    pub redirect_uri: String,
    /// The web app's origin; the OAuth callback redirects to <it>/menu/perfil.
    #[arg(long, env = "FRONTEND_BASE_URL", default_value = DEFAULT_FRONTEND_BASE_URL)]
    pub frontend_base_url: String,
    /// Google's OAuth consent page.
    #[arg(long, env = "GOOGLE_OAUTH_URL", default_value = DEFAULT_OAUTH_URL)]
    pub oauth_url: String,
    /// Google's token endpoint (code exchange and refresh).
    #[arg(long, env = "GOOGLE_TOKEN_URL", default_value = DEFAULT_TOKEN_URL)]
    pub token_url: String,
    /// Base URL of the People API (v1).
    #[arg(long, env = "GOOGLE_PEOPLE_URL", default_value = DEFAULT_PEOPLE_URL)]
    pub people_url: String,
    /// Google's token revocation endpoint (called on disconnect).
    #[arg(long, env = "GOOGLE_REVOKE_URL", default_value = DEFAULT_REVOKE_URL)]
    pub revoke_url: String,
}

impl Default for GoogleSettings {
    /// The documented defaults (what `--help` shows), for hand-built settings.
    fn default() -> Self {
        GoogleSettings {
            client_id: String::new(),
            client_secret: String::new(),
            redirect_uri: DEFAULT_REDIRECT_URI.into(),
            frontend_base_url: DEFAULT_FRONTEND_BASE_URL.into(),
            oauth_url: DEFAULT_OAUTH_URL.into(),
            token_url: DEFAULT_TOKEN_URL.into(),
            people_url: DEFAULT_PEOPLE_URL.into(),
            revoke_url: DEFAULT_REVOKE_URL.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        google: GoogleSettings,
    }

    #[test]
    fn default_is_what_the_command_line_gives() {
        let vars = [
            "GOOGLE_CLIENT_ID",
            "GOOGLE_CLIENT_SECRET",
            "GOOGLE_REDIRECT_URI",
            "FRONTEND_BASE_URL",
            "GOOGLE_OAUTH_URL",
            "GOOGLE_TOKEN_URL",
            "GOOGLE_PEOPLE_URL",
            "GOOGLE_REVOKE_URL",
        ];
        if let Some(set) = vars.iter().find(|v| std::env::var_os(v).is_some()) {
            eprintln!("{set} is set: the defaults cannot be read from the command line");
            return;
        }
        assert_eq!(Cli::parse_from(["test"]).google, GoogleSettings::default());
    }
}
