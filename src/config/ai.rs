//! Settings of the AI features: the system's own provider and key, the free
//! quota of companies without a key of their own, provider base URLs (for
//! proxies and local mocks) and who may edit the system prompts.

use clap::Args;

#[derive(Debug, Clone, PartialEq, Args)]
pub struct AiSettings {
    /// Key of the system's AI provider, used by companies without their own. Unset: AI calls fail (502).
    #[arg(long, env = "AI_DEFAULT_API_KEY", hide_env_values = true)]
    pub default_api_key: Option<String>,
    /// Model of the system's provider, LiteLLM style: `gemini/...`, `gpt-...` or `openai/...`, `claude-...`.
    #[arg(
        long,
        env = "AI_DEFAULT_MODEL",
        default_value = "gemini/gemini-2.5-flash"
    )]
    pub default_model: String,
    /// AI uses a company without its own key gets per day.
    #[arg(long, env = "AI_FREE_LIMIT_DAILY", default_value_t = 100)]
    pub free_limit_daily: i64,
    /// AI uses a company without its own key gets over seven days.
    #[arg(long, env = "AI_FREE_LIMIT_WEEKLY", default_value_t = 500)]
    pub free_limit_weekly: i64,
    /// Base URL of the OpenAI API.
    #[arg(
        long,
        env = "OPENAI_API_BASE",
        default_value = "https://api.openai.com/v1"
    )]
    pub openai_api_base: String,
    /// Base URL of the Gemini API.
    #[arg(
        long,
        env = "GEMINI_API_BASE",
        default_value = "https://generativelanguage.googleapis.com"
    )]
    pub gemini_api_base: String,
    /// Base URL of the Anthropic API.
    #[arg(
        long,
        env = "ANTHROPIC_API_BASE",
        default_value = "https://api.anthropic.com"
    )]
    pub anthropic_api_base: String,
    /// Seconds an AI provider gets to answer (the original: 55).
    #[arg(long, env = "AI_TIMEOUT_SECONDS", default_value_t = 55)]
    pub timeout_seconds: u64,
    /// Comma-separated client IPs (or CIDRs) allowed on /api/admin/system-prompts.
    #[arg(long, env = "AI_PROMPT_ADMIN_IPS", default_value = "127.0.0.1")]
    pub prompt_admin_ips: String,
}

impl Default for AiSettings {
    /// The documented defaults (what `--help` shows), for hand-built settings.
    fn default() -> Self {
        AiSettings {
            default_api_key: None,
            default_model: "gemini/gemini-2.5-flash".into(),
            free_limit_daily: 100,
            free_limit_weekly: 500,
            openai_api_base: "https://api.openai.com/v1".into(),
            gemini_api_base: "https://generativelanguage.googleapis.com".into(),
            anthropic_api_base: "https://api.anthropic.com".into(),
            timeout_seconds: 55,
            prompt_admin_ips: "127.0.0.1".into(),
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
        ai: AiSettings,
    }

    #[test]
    fn default_is_what_the_command_line_gives() {
        let vars = [
            "AI_DEFAULT_API_KEY",
            "AI_DEFAULT_MODEL",
            "AI_FREE_LIMIT_DAILY",
            "AI_FREE_LIMIT_WEEKLY",
            "OPENAI_API_BASE",
            "GEMINI_API_BASE",
            "ANTHROPIC_API_BASE",
            "AI_TIMEOUT_SECONDS",
            "AI_PROMPT_ADMIN_IPS",
        ];
        if let Some(set) = vars.iter().find(|v| std::env::var_os(v).is_some()) {
            eprintln!("{set} is set: the defaults cannot be read from the command line");
            return;
        }
        assert_eq!(Cli::parse_from(["test"]).ai, AiSettings::default());
    }
}
