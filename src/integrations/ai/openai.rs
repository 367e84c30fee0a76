//! OpenAI chat completions (`POST {base}/chat/completions`, bearer key).
//! The same client serves a company's OpenAI-compatible server (vLLM,
//! Ollama, LM Studio...), whose base then is the company's URL.

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};
use url::Url;

use crate::integrations::ai::{
    AiClient, AiError, Completion, CompletionOutput, Connection, output,
};
use crate::integrations::http::Outbound;

/// With the version: `OPENAI_API_BASE` is given the same way.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

pub struct OpenAiClient {
    connection: Connection,
}

impl OpenAiClient {
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
        OpenAiClient { connection }
    }
}

/// The request body: the system prompt (when there is one) and the user's
/// message, nothing else (the original sets no sampling options).
pub fn request_body(request: &Completion) -> Value {
    let mut messages = Vec::with_capacity(2);
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system}));
    }
    messages.push(json!({"role": "user", "content": request.user}));
    json!({"model": request.model, "messages": messages})
}

/// `choices[0].message.content` and `usage.total_tokens`.
pub fn parse_answer(answer: &Value) -> Result<CompletionOutput, AiError> {
    let text = answer
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| AiError::Failed("the answer has no message content".into()))?;
    output(
        text,
        answer
            .pointer("/usage/total_tokens")
            .and_then(Value::as_i64),
    )
}

#[async_trait]
impl AiClient for OpenAiClient {
    async fn complete(&self, request: &Completion) -> Result<CompletionOutput, AiError> {
        let connection = &self.connection;
        let url = connection.endpoint(&["chat", "completions"])?;
        let mut headers = Vec::new();
        // A self-hosted server may need no key at all.
        if let Some(key) = &connection.key {
            headers.push((
                AUTHORIZATION,
                connection.secret_header(&format!("Bearer {key}"))?,
            ));
        }
        let answer = connection
            .post_json("openai", url, headers, &request_body(request))
            .await?;
        parse_answer(&answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_choice_is_the_answer() {
        let answer = json!({
            "choices": [{"message": {"role": "assistant", "content": " Hola \n"}},
                        {"message": {"content": "other"}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
        });
        let out = parse_answer(&answer).unwrap();
        assert_eq!((out.text.as_str(), out.total_tokens), ("Hola", Some(7)));
        let no_usage = json!({"choices": [{"message": {"content": "x"}}]});
        assert_eq!(parse_answer(&no_usage).unwrap().total_tokens, None);
        for bad in [
            json!({"choices": []}),
            json!({"choices": [{"message": {"content": null}}]}),
            json!({"choices": [{"message": {"content": "  "}}]}),
        ] {
            assert!(parse_answer(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_system_prompt_is_left_out() {
        let request = Completion {
            model: "m".into(),
            system: String::new(),
            user: "u".into(),
        };
        assert_eq!(
            request_body(&request),
            json!({"model": "m", "messages": [{"role": "user", "content": "u"}]})
        );
    }
}
