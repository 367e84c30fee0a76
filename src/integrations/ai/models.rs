//! Which client a call goes to and which model id it sends.
//!
//! The original stores LiteLLM model names: `gemini/gemini-2.5-flash`
//! (Google AI Studio), `gpt-4o-mini` (OpenAI), `claude-3-5-haiku-20241022`
//! (Anthropic), possibly `openai/…` or `anthropic/…`. A provider chosen in
//! the company's settings decides the client; `default` (and the system's
//! `AI_DEFAULT_MODEL`) lets the model name decide, as LiteLLM does.

use crate::integrations::ai::AiError;

/// The provider of a company's AI settings (`configuracion_ia.proveedor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiProvider {
    /// The model name decides.
    Default,
    Gemini,
    OpenAi,
    Claude,
    /// The company's own OpenAI-compatible server (beyond the original).
    OpenAiCompatible,
}

impl AiProvider {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "default" => Some(AiProvider::Default),
            "gemini" => Some(AiProvider::Gemini),
            "openai" => Some(AiProvider::OpenAi),
            "claude" => Some(AiProvider::Claude),
            "openai_compatible" => Some(AiProvider::OpenAiCompatible),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AiProvider::Default => "default",
            AiProvider::Gemini => "gemini",
            AiProvider::OpenAi => "openai",
            AiProvider::Claude => "claude",
            AiProvider::OpenAiCompatible => "openai_compatible",
        }
    }

    /// The original's model when the company set none; `None` means
    /// `AI_DEFAULT_MODEL` (and for `openai_compatible` a model is required).
    pub fn fallback_model(self) -> Option<&'static str> {
        match self {
            AiProvider::Gemini => Some("gemini/gemini-2.5-flash"),
            AiProvider::OpenAi => Some("gpt-4o-mini"),
            AiProvider::Claude => Some("claude-3-5-haiku-20241022"),
            AiProvider::Default | AiProvider::OpenAiCompatible => None,
        }
    }
}

/// The client a call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiKind {
    OpenAi,
    Gemini,
    Anthropic,
    /// The OpenAI client at the company's base URL, public addresses only.
    OpenAiCompatible,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRoute {
    pub kind: AiKind,
    /// The model id as the provider knows it (no LiteLLM prefix).
    pub model: String,
}

/// The LiteLLM prefix of a model name, if any, and the rest.
fn split_prefix(model: &str) -> (Option<AiKind>, &str) {
    for (prefix, kind) in [
        ("gemini/", AiKind::Gemini),
        ("openai/", AiKind::OpenAi),
        ("anthropic/", AiKind::Anthropic),
    ] {
        if let Some(rest) = model.strip_prefix(prefix) {
            return (Some(kind), rest);
        }
    }
    (None, model)
}

/// The provider of a bare model name (LiteLLM's own guess by name; a bare
/// `gemini-…` goes to the Gemini API here, not to Vertex AI).
fn kind_by_name(model: &str) -> Option<AiKind> {
    let openai = ["gpt-", "chatgpt-", "o1", "o3", "o4"];
    if openai.iter().any(|p| model.starts_with(p)) {
        Some(AiKind::OpenAi)
    } else if model.starts_with("claude-") {
        Some(AiKind::Anthropic)
    } else if model.starts_with("gemini-") || model.starts_with("gemma-") {
        Some(AiKind::Gemini)
    } else {
        None
    }
}

/// Which client and which model id for a provider setting and a model name.
///
/// - `openai_compatible`: the model goes as typed (self-hosted names such as
///   `openai/gpt-oss-20b` or `meta-llama/…` contain slashes of their own).
/// - `gemini`, `openai`, `claude`: that provider; its own LiteLLM prefix is
///   dropped, another provider's prefix is an error (the original would have
///   sent the key to the wrong provider and failed).
/// - `default`: the prefix decides, else the name; unknown names fail.
pub fn route_model(provider: AiProvider, model: &str) -> Result<ModelRoute, AiError> {
    let model = model.trim();
    let route = |kind, model: &str| {
        // Gemini's path already says `models/`.
        let model = match kind {
            AiKind::Gemini => model.strip_prefix("models/").unwrap_or(model),
            _ => model,
        };
        if model.is_empty() {
            return Err(AiError::Failed("no AI model configured".into()));
        }
        Ok(ModelRoute {
            kind,
            model: model.to_string(),
        })
    };
    let (prefixed, bare) = split_prefix(model);
    let wanted = match provider {
        AiProvider::OpenAiCompatible => return route(AiKind::OpenAiCompatible, model),
        AiProvider::Default => {
            let kind = prefixed.or_else(|| kind_by_name(bare)).ok_or_else(|| {
                AiError::Failed(format!("no AI provider known for model {model:?}"))
            })?;
            return route(kind, bare);
        }
        AiProvider::Gemini => AiKind::Gemini,
        AiProvider::OpenAi => AiKind::OpenAi,
        AiProvider::Claude => AiKind::Anthropic,
    };
    match prefixed {
        Some(kind) if kind != wanted => Err(AiError::Failed(format!(
            "model {model:?} does not belong to provider {}",
            provider.as_str()
        ))),
        _ => route(wanted, bare),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routed(provider: AiProvider, model: &str) -> (AiKind, String) {
        let route = route_model(provider, model).unwrap();
        (route.kind, route.model)
    }

    #[test]
    fn the_system_default_is_routed_by_its_name() {
        use AiKind::*;
        let cases = [
            ("gemini/gemini-2.5-flash", Gemini, "gemini-2.5-flash"),
            ("gemini/gemini-2.0-flash", Gemini, "gemini-2.0-flash"),
            ("gpt-4o-mini", OpenAi, "gpt-4o-mini"),
            ("openai/gpt-4o-mini", OpenAi, "gpt-4o-mini"),
            ("o3-mini", OpenAi, "o3-mini"),
            (
                "claude-3-5-haiku-20241022",
                Anthropic,
                "claude-3-5-haiku-20241022",
            ),
            (
                "anthropic/claude-sonnet-4-5",
                Anthropic,
                "claude-sonnet-4-5",
            ),
            ("gemini-2.5-pro", Gemini, "gemini-2.5-pro"),
            (
                " gemini/models/gemini-2.5-flash ",
                Gemini,
                "gemini-2.5-flash",
            ),
        ];
        for (model, kind, bare) in cases {
            assert_eq!(
                routed(AiProvider::Default, model),
                (kind, bare.to_string()),
                "{model}"
            );
        }
    }

    #[test]
    fn unknown_or_empty_default_models_fail() {
        for model in ["llama3", "", "  ", "gemini/", "mistral/mistral-large"] {
            assert!(
                matches!(
                    route_model(AiProvider::Default, model),
                    Err(AiError::Failed(_))
                ),
                "{model:?}"
            );
        }
    }

    #[test]
    fn a_chosen_provider_decides_and_loses_its_own_prefix() {
        assert_eq!(
            routed(AiProvider::Gemini, "gemini/gemini-2.5-flash"),
            (AiKind::Gemini, "gemini-2.5-flash".into())
        );
        assert_eq!(
            routed(AiProvider::OpenAi, "openai/gpt-4.1"),
            (AiKind::OpenAi, "gpt-4.1".into())
        );
        assert_eq!(
            routed(AiProvider::Claude, "claude-3-5-haiku-20241022"),
            (AiKind::Anthropic, "claude-3-5-haiku-20241022".into())
        );
        // A name the provider does not know still goes there (it answers 404).
        assert_eq!(
            routed(AiProvider::OpenAi, "my-fine-tune"),
            (AiKind::OpenAi, "my-fine-tune".into())
        );
    }

    #[test]
    fn another_providers_prefix_is_refused() {
        assert!(route_model(AiProvider::OpenAi, "gemini/gemini-2.5-flash").is_err());
        assert!(route_model(AiProvider::Claude, "openai/gpt-4o").is_err());
        assert!(route_model(AiProvider::Gemini, "anthropic/claude-3").is_err());
    }

    #[test]
    fn a_company_server_gets_the_model_as_typed() {
        assert_eq!(
            routed(AiProvider::OpenAiCompatible, "openai/gpt-oss-20b"),
            (AiKind::OpenAiCompatible, "openai/gpt-oss-20b".into())
        );
        assert!(route_model(AiProvider::OpenAiCompatible, "").is_err());
    }

    #[test]
    fn fallback_models_follow_the_original() {
        let fallback = |p| AiProvider::fallback_model(p);
        assert_eq!(
            fallback(AiProvider::Gemini),
            Some("gemini/gemini-2.5-flash")
        );
        assert_eq!(fallback(AiProvider::OpenAi), Some("gpt-4o-mini"));
        assert_eq!(
            fallback(AiProvider::Claude),
            Some("claude-3-5-haiku-20241022")
        );
        assert_eq!(fallback(AiProvider::Default), None);
        for p in ["default", "gemini", "openai", "claude", "openai_compatible"] {
            assert_eq!(AiProvider::parse(p).map(AiProvider::as_str), Some(p));
        }
        assert_eq!(AiProvider::parse("mistral"), None);
    }
}
