//! Gemini `generateContent` (`POST {base}/v1beta/models/{model}:generateContent`).
//! The key goes in the `x-goog-api-key` header, not in the `key` query
//! parameter, so no URL (in an error text or a proxy log) ever holds it.

use async_trait::async_trait;
use reqwest::header::HeaderName;
use serde_json::{Value, json};
use url::Url;

use crate::integrations::ai::{
    AiClient, AiError, Completion, CompletionOutput, Connection, output,
};
use crate::integrations::http::Outbound;

pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";

pub struct GeminiClient {
    connection: Connection,
}

impl GeminiClient {
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
        GeminiClient { connection }
    }
}

/// `systemInstruction` (when there is a prompt) and one user turn.
pub fn request_body(request: &Completion) -> Value {
    let mut body = json!({
        "contents": [{"role": "user", "parts": [{"text": request.user}]}]
    });
    if !request.system.is_empty() {
        body["systemInstruction"] = json!({"parts": [{"text": request.system}]});
    }
    body
}

/// The text parts of the first candidate joined (thought summaries left
/// out), and `usageMetadata.totalTokenCount`.
pub fn parse_answer(answer: &Value) -> Result<CompletionOutput, AiError> {
    let parts = answer
        .pointer("/candidates/0/content/parts")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            // A blocked prompt has no candidates, only a reason worth keeping.
            let reason = answer
                .pointer("/promptFeedback/blockReason")
                .and_then(Value::as_str)
                .unwrap_or("none given");
            AiError::Failed(format!(
                "the answer has no candidate (block reason: {reason})"
            ))
        })?;
    let text: String = parts
        .iter()
        .filter(|part| part.get("thought").and_then(Value::as_bool) != Some(true))
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .collect();
    let tokens = answer
        .pointer("/usageMetadata/totalTokenCount")
        .and_then(Value::as_i64);
    output(&text, tokens)
}

#[async_trait]
impl AiClient for GeminiClient {
    async fn complete(&self, request: &Completion) -> Result<CompletionOutput, AiError> {
        let connection = &self.connection;
        let method = format!("{}:generateContent", request.model);
        let url = connection.endpoint(&["v1beta", "models", &method])?;
        let mut headers = Vec::new();
        if let Some(key) = &connection.key {
            headers.push((
                HeaderName::from_static("x-goog-api-key"),
                connection.secret_header(key)?,
            ));
        }
        let answer = connection
            .post_json("gemini", url, headers, &request_body(request))
            .await?;
        parse_answer(&answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parts_are_joined_without_thoughts() {
        let answer = json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "thinking...", "thought": true},
                {"text": " Hola, "},
                {"text": "{NOMBRE} \n"}
            ]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 3, "totalTokenCount": 9}
        });
        let out = parse_answer(&answer).unwrap();
        assert_eq!(
            (out.text.as_str(), out.total_tokens),
            ("Hola, {NOMBRE}", Some(9))
        );
    }

    #[test]
    fn blocked_or_empty_answers_fail() {
        let blocked = json!({"promptFeedback": {"blockReason": "SAFETY"}});
        assert_eq!(
            parse_answer(&blocked),
            Err(AiError::Failed(
                "the answer has no candidate (block reason: SAFETY)".into()
            ))
        );
        let no_text = json!({"candidates": [{"content": {"parts": [{"inlineData": {}}]}}]});
        assert!(parse_answer(&no_text).is_err());
    }
}
