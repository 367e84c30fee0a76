//! The three AI provider clients over real HTTP against local servers that
//! check each provider's wire format (path, auth headers, exact body), and
//! the classification the handlers rely on: 429 -> RateLimited, our timeout
//! -> Timeout, anything else -> Failed, with the key in no error text.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stay_sidekick::integrations::ai::{
    AiEndpoints, AiError, AiKind, AiProvider, AiProviders, Completion, CompletionOutput,
    route_model,
};
use stay_sidekick::integrations::http::Outbound;
use url::Url;
use wiremock::matchers::{body_json, header, method, path, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-9f8e7d6c5b4a3210secret";
const SYSTEM: &str = "Mejora el mensaje. Conserva los {PLACEHOLDERS}.";
const USER: &str = "Idioma: es\n\nHola {NOMBRE}, tu llegada es a las {HORA_LLEGADA}.";
const LONG: Duration = Duration::from_secs(10);

/// Every system provider at the mock (OpenAI's base with its `/v1`, as
/// `OPENAI_API_BASE` is given); company servers through the public-only client.
fn providers(server: &MockServer, timeout: Duration) -> AiProviders {
    let base = Url::parse(&server.uri()).unwrap();
    let endpoints = AiEndpoints {
        openai: base.join("/v1").unwrap(),
        gemini: base.clone(),
        anthropic: base,
    };
    AiProviders::new(
        endpoints,
        timeout,
        Outbound::new(true).unwrap(),
        Outbound::new(false).unwrap(),
    )
}

/// Routes a stored model name and calls the client, as a handler will.
async fn call(
    providers: &AiProviders,
    provider: AiProvider,
    model: &str,
) -> Result<CompletionOutput, AiError> {
    let route = route_model(provider, model)?;
    let client = providers.client(route.kind, Some(KEY.to_string()), None)?;
    client
        .complete(&Completion {
            model: route.model,
            system: SYSTEM.into(),
            user: USER.into(),
        })
        .await
}

/// One provider: its stored model name and an answer that holds no text.
struct Case {
    provider: AiProvider,
    model: &'static str,
    no_text: Value,
}

fn cases() -> [Case; 3] {
    [
        Case {
            provider: AiProvider::OpenAi,
            model: "gpt-4o-mini",
            no_text: json!({"choices": [{"message": {"role": "assistant", "content": null}}],
                            "usage": {"total_tokens": 3}}),
        },
        Case {
            provider: AiProvider::Gemini,
            model: "gemini/gemini-2.5-flash",
            no_text: json!({"candidates": [{"content": {"role": "model", "parts": []},
                                            "finishReason": "MAX_TOKENS"}]}),
        },
        Case {
            provider: AiProvider::Claude,
            model: "claude-3-5-haiku-20241022",
            no_text: json!({"type": "message", "content": [],
                            "usage": {"input_tokens": 3, "output_tokens": 0}}),
        },
    ]
}

/// Each provider's call when every POST gets `response`.
async fn answered_with(
    response: ResponseTemplate,
    timeout: Duration,
) -> Vec<(AiProvider, Result<CompletionOutput, AiError>)> {
    let mut results = Vec::new();
    for case in cases() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response.clone())
            .expect(1)
            .mount(&server)
            .await;
        let result = call(&providers(&server, timeout), case.provider, case.model).await;
        results.push((case.provider, result));
    }
    results
}

#[tokio::test]
async fn openai_sends_chat_completions_and_reads_the_first_choice() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": USER}
            ]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "\n Hola {NOMBRE}, bienvenido. \n"}}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let out = call(
        &providers(&server, LONG),
        AiProvider::Default,
        "openai/gpt-4o-mini",
    )
    .await
    .unwrap();
    assert_eq!(out.text, "Hola {NOMBRE}, bienvenido.");
    assert_eq!(out.total_tokens, Some(42));
}

#[tokio::test]
async fn gemini_sends_generate_content_with_the_key_in_a_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .and(header("x-goog-api-key", KEY))
        .and(query_param_is_missing("key"))
        .and(body_json(json!({
            "systemInstruction": {"parts": [{"text": SYSTEM}]},
            "contents": [{"role": "user", "parts": [{"text": USER}]}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"role": "model",
                                        "parts": [{"text": "Hola {NOMBRE}, "}, {"text": "bienvenido.\n"}]},
                            "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 8, "totalTokenCount": 28}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let out = call(
        &providers(&server, LONG),
        AiProvider::Default,
        "gemini/gemini-2.5-flash",
    )
    .await
    .unwrap();
    assert_eq!(out.text, "Hola {NOMBRE}, bienvenido.");
    assert_eq!(out.total_tokens, Some(28));
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].url.query(), None, "no key in the URL");
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn anthropic_sends_messages_and_adds_the_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(body_json(json!({
            "model": "claude-3-5-haiku-20241022",
            "max_tokens": 4096,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": USER}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_1", "type": "message", "role": "assistant",
            "content": [{"type": "text", "text": " Hola {NOMBRE}, bienvenido. "}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 25, "output_tokens": 9}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let out = call(
        &providers(&server, LONG),
        AiProvider::Claude,
        "anthropic/claude-3-5-haiku-20241022",
    )
    .await
    .unwrap();
    assert_eq!(out.text, "Hola {NOMBRE}, bienvenido.");
    assert_eq!(out.total_tokens, Some(34));
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn http_429_is_a_rate_limit_for_every_provider() {
    let body = json!({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}});
    for (provider, result) in
        answered_with(ResponseTemplate::new(429).set_body_json(body), LONG).await
    {
        assert_eq!(result, Err(AiError::RateLimited), "{provider:?}");
    }
}

#[tokio::test]
async fn http_500_fails_for_every_provider() {
    for (provider, result) in answered_with(ResponseTemplate::new(500), LONG).await {
        assert!(
            matches!(result, Err(AiError::Failed(ref m)) if m.contains("500")),
            "{provider:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn malformed_json_fails_for_every_provider() {
    let response = ResponseTemplate::new(200).set_body_raw("{\"choices\": [", "application/json");
    for (provider, result) in answered_with(response, LONG).await {
        assert!(
            matches!(result, Err(AiError::Failed(_))),
            "{provider:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_slow_answer_past_the_timeout_is_a_timeout_for_every_provider() {
    for case in cases() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({}))
                    .set_delay(Duration::from_secs(2)),
            )
            .mount(&server)
            .await;
        let started = Instant::now();
        let result = call(
            &providers(&server, Duration::from_millis(300)),
            case.provider,
            case.model,
        )
        .await;
        assert_eq!(result, Err(AiError::Timeout), "{:?}", case.provider);
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}: {:?}",
            case.provider,
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn an_answer_without_text_fails_for_every_provider() {
    for case in cases() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&case.no_text))
            .expect(1)
            .mount(&server)
            .await;
        let result = call(&providers(&server, LONG), case.provider, case.model).await;
        assert!(
            matches!(result, Err(AiError::Failed(_))),
            "{:?}: {result:?}",
            case.provider
        );
    }
}

#[tokio::test]
async fn no_error_text_holds_the_key() {
    // Providers echo the key (OpenAI's 401 names it); a client that copied
    // the answer into its error would leak it.
    let echoing = [
        ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}}),
        ),
        ResponseTemplate::new(500).set_body_string(format!("internal error for {KEY}")),
        ResponseTemplate::new(200).set_body_json(json!({"echo": KEY})),
        ResponseTemplate::new(200).set_body_raw(format!("<html>{KEY}"), "text/html"),
    ];
    for response in echoing {
        for (provider, result) in answered_with(response.clone(), LONG).await {
            let err = result.expect_err("a failure");
            assert!(matches!(err, AiError::Failed(_)), "{provider:?}: {err:?}");
            assert!(!err.to_string().contains(KEY), "{provider:?}: {err}");
            assert!(!format!("{err:?}").contains(KEY), "{provider:?}: {err:?}");
        }
    }
    // Nothing listening: the network error names the URL, never the key.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = Url::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let endpoints = AiEndpoints {
        openai: base.clone(),
        gemini: base.clone(),
        anthropic: base,
    };
    let providers = AiProviders::new(
        endpoints,
        LONG,
        Outbound::new(true).unwrap(),
        Outbound::new(false).unwrap(),
    );
    for case in cases() {
        let err = call(&providers, case.provider, case.model)
            .await
            .expect_err("refused");
        assert!(matches!(err, AiError::Failed(_)), "{err:?}");
        assert!(!err.to_string().contains(KEY), "{err}");
    }
}

#[tokio::test]
async fn a_company_server_gets_the_openai_format_at_its_base() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/llm/v1/chat/completions"))
        .and(body_json(json!({
            "model": "openai/gpt-oss-20b",
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"role": "assistant", "content": "Hola {NOMBRE}"}}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    // A test server is on loopback: this factory lets company bases reach it.
    let endpoints = AiEndpoints::from_settings(None, None, None).unwrap();
    let providers = AiProviders::new(
        endpoints,
        LONG,
        Outbound::new(true).unwrap(),
        Outbound::new(true).unwrap(),
    );
    let route = route_model(AiProvider::OpenAiCompatible, "openai/gpt-oss-20b").unwrap();
    assert_eq!(route.kind, AiKind::OpenAiCompatible);
    let base = Url::parse(&format!("{}/llm/v1", server.uri())).unwrap();
    // No key: a self-hosted server may need none, and no header is sent.
    let client = providers
        .client(route.kind, Some(String::new()), Some(&base))
        .unwrap();
    let out = client
        .complete(&Completion {
            model: route.model,
            system: SYSTEM.into(),
            user: USER.into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (out.text.as_str(), out.total_tokens),
        ("Hola {NOMBRE}", None)
    );
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_company_server_on_a_private_address_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"content": "leaked"}}]
        })))
        .expect(0)
        .mount(&server)
        .await;
    let providers = providers(&server, LONG);
    let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
    let client = providers
        .client(AiKind::OpenAiCompatible, Some(KEY.into()), Some(&base))
        .unwrap();
    let result = client
        .complete(&Completion {
            model: "m".into(),
            system: SYSTEM.into(),
            user: USER.into(),
        })
        .await;
    assert!(
        matches!(result, Err(AiError::Failed(ref m)) if m.contains("not allowed")),
        "{result:?}"
    );
    // And without a base there is nothing to call.
    assert!(
        providers
            .client(AiKind::OpenAiCompatible, None, None)
            .is_err()
    );
}
