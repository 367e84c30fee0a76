//! Anthropic messages (`POST {base}/v1/messages`, `x-api-key`,
//! `anthropic-version: 2023-06-01`). `max_tokens` is required there; 4096 is
//! LiteLLM's default, far above any guest message.

use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};
use url::Url;

use crate::integrations::ai::{
    AiClient, AiError, Completion, CompletionOutput, Connection, output,
};
use crate::integrations::http::Outbound;

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";
pub const MAX_TOKENS: u32 = 4096;

pub struct AnthropicClient {
    connection: Connection,
}

impl AnthropicClient {
    pub fn new(
        http: Outbound,
        base: Url,
        key: Option<String>,
        timeout: std::time::Duration,
    ) -> Self {
        Self::from_connection(Connection {
            http,
            base,
            key,
            timeout,
        })
    }

    pub(crate) fn from_connection(connection: Connection) -> Self {
        AnthropicClient { connection }
    }
}

/// `system` (when there is a prompt), one user message, `max_tokens`.
pub fn request_body(request: &Completion) -> Value {
    let mut body = json!({
        "model": request.model,
        "max_tokens": MAX_TOKENS,
        "messages": [{"role": "user", "content": request.user}]
    });
    if !request.system.is_empty() {
        body["system"] = json!(request.system);
    }
    body
}

/// The `text` blocks of `content` joined; tokens = input + output.
pub fn parse_answer(answer: &Value) -> Result<CompletionOutput, AiError> {
    let blocks = answer
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| AiError::Failed("the answer has no content".into()))?;
    let text: String = blocks
        .iter()
        .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|block| block.get("text").and_then(Value::as_str))
        .collect();
    let count = |name: &str| {
        answer
            .pointer(&format!("/usage/{name}"))
            .and_then(Value::as_i64)
    };
    let tokens = match (count("input_tokens"), count("output_tokens")) {
        (None, None) => None,
        (input, output) => Some(input.unwrap_or(0) + output.unwrap_or(0)),
    };
    output(&text, tokens)
}

#[async_trait]
impl AiClient for AnthropicClient {
    async fn complete(&self, request: &Completion) -> Result<CompletionOutput, AiError> {
        let connection = &self.connection;
        let url = connection.endpoint(&["v1", "messages"])?;
        let mut headers = vec![(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(API_VERSION),
        )];
        if let Some(key) = &connection.key {
            headers.push((
                HeaderName::from_static("x-api-key"),
                connection.secret_header(key)?,
            ));
        }
        let answer = connection
            .post_json("anthropic", url, headers, &request_body(request))
            .await?;
        parse_answer(&answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_blocks_are_joined_and_tokens_added() {
        let answer = json!({
            "type": "message",
            "content": [
                {"type": "thinking", "thinking": "hmm"},
                {"type": "text", "text": " Hola "},
                {"type": "text", "text": "{NOMBRE}\n"}
            ],
            "usage": {"input_tokens": 10, "output_tokens": 5}
        });
        let out = parse_answer(&answer).unwrap();
        assert_eq!(
            (out.text.as_str(), out.total_tokens),
            ("Hola {NOMBRE}", Some(15))
        );
        let no_usage = json!({"content": [{"type": "text", "text": "x"}]});
        assert_eq!(parse_answer(&no_usage).unwrap().total_tokens, None);
    }

    #[test]
    fn answers_without_text_fail() {
        assert!(parse_answer(&json!({"content": []})).is_err());
        assert!(parse_answer(&json!({"content": [{"type": "tool_use", "text": "x"}]})).is_err());
        assert!(parse_answer(&json!({"type": "error"})).is_err());
    }
}
