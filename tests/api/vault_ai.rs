//! The vault's AI actions over real HTTP, with every provider at a local
//! mock that speaks its wire format: quotas (also under concurrency), the
//! original's error mapping, placeholders kept or retried, the company's own
//! key, usage, masked settings and the system prompts.

use std::time::Duration;

use crate::support::{TestApp, TestDb, envelope, settings};
use serde_json::{Value, json};
use stay_sidekick::store::Role;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GEMINI_PATH: &str = "/v1beta/models/gemini-2.5-flash:generateContent";
const TEXT: &str = "Hola {NOMBRE}, llegas a las {HORA_LLEGADA}.";

struct Ai {
    app: TestApp,
    mock: MockServer,
    token: String,
    template: String,
}

/// An app whose AI providers all live at one mock (system key `sys-key`,
/// free quota 5 a day), an operator's token and one template.
async fn with_mock(db: TestDb) -> Ai {
    let mock = MockServer::start().await;
    let mut settings = settings(db.url());
    settings.ai.default_api_key = Some("sys-key".into());
    settings.ai.gemini_api_base = mock.uri();
    settings.ai.openai_api_base = format!("{}/v1", mock.uri());
    settings.ai.anthropic_api_base = mock.uri();
    settings.ai.free_limit_daily = 5;
    settings.ai.timeout_seconds = 1;
    // The self-hosted server of the company is this local mock too.
    settings.allow_private_pms_endpoints = true;
    let app = TestApp::spawn_with(db, settings).await;
    app.seed_user("admin@example.com", Role::Admin, false).await;
    let token = app.login("admin@example.com").await;
    let created: Value = app
        .call(
            "POST",
            "/api/vault/plantillas",
            Some(&token),
            Some(&json!({"nombre": "Llegada", "contenido": TEXT})),
        )
        .await
        .json()
        .await
        .unwrap();
    let template = created["plantilla"]["id"].as_str().unwrap().to_string();
    Ai {
        app,
        mock,
        token,
        template,
    }
}

fn gemini_answer(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}}],
        "usageMetadata": {"totalTokenCount": 12}
    }))
}

impl Ai {
    async fn improve(&self, body: Value) -> reqwest::Response {
        let path = format!("/api/vault/plantillas/{}/mejoras", self.template);
        self.app
            .call("POST", &path, Some(&self.token), Some(&body))
            .await
    }

    async fn usage(&self) -> (i64, i64) {
        let body: Value = self
            .app
            .call("GET", "/api/ai/uso", Some(&self.token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            (body["ok"].as_bool(), body["limite_diario"].as_i64()),
            (Some(true), Some(5))
        );
        (
            body["uso_hoy"].as_i64().unwrap(),
            body["uso_semana"].as_i64().unwrap(),
        )
    }
}

async fn improve_goes_to_the_system_provider_and_is_counted(ai: Ai) {
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .and(header("x-goog-api-key", "sys-key"))
        .and(body_string_contains("trato de tú"))
        .and(body_string_contains("Idioma: es\\n\\nHola {NOMBRE}"))
        .respond_with(gemini_answer(
            "  ¡Hola {NOMBRE}! Te esperamos a las {HORA_LLEGADA}.  ",
        ))
        .expect(1)
        .mount(&ai.mock)
        .await;
    let response = ai
        .improve(json!({"contenido": TEXT, "idioma": "es", "tono": "cercano"}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"contenido": "¡Hola {NOMBRE}! Te esperamos a las {HORA_LLEGADA}.", "ok": true})
    );
    assert_eq!(ai.usage().await, (1, 1));
}

async fn translate_uses_the_translation_prompt(ai: Ai) {
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .and(body_string_contains("Idioma destino: en"))
        .and(body_string_contains("Traduce"))
        .respond_with(gemini_answer("Hi {NOMBRE}, you arrive at {HORA_LLEGADA}."))
        .expect(1)
        .mount(&ai.mock)
        .await;
    let path = format!("/api/vault/plantillas/{}/traducciones", ai.template);
    let body = json!({"contenido": TEXT, "idioma_destino": "en"});
    let response = ai
        .app
        .call("POST", &path, Some(&ai.token), Some(&body))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["contenido"],
        "Hi {NOMBRE}, you arrive at {HORA_LLEGADA}."
    );
}

async fn twenty_at_once_spend_exactly_the_quota(ai: Ai) {
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer(TEXT).set_delay(Duration::from_millis(50)))
        .mount(&ai.mock)
        .await;
    let ai = std::sync::Arc::new(ai);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let ai = ai.clone();
            tokio::spawn(async move {
                let response = ai.improve(json!({"contenido": TEXT, "idioma": "es"})).await;
                let status = response.status().as_u16();
                (status, envelope_or_empty(response).await)
            })
        })
        .collect();
    let mut ok = 0;
    let mut limited = 0;
    for call in calls {
        match call.await.unwrap() {
            (200, _) => ok += 1,
            (429, errors) => {
                assert_eq!(
                    errors,
                    ["Has alcanzado el límite diario de IA. Configura tu API key en Perfil > IA."]
                );
                limited += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, limited), (5, 15));
    assert_eq!(ai.usage().await, (5, 5));
    assert_eq!(
        ai.mock.received_requests().await.unwrap_or_default().len(),
        5,
        "refused calls never reach the provider"
    );
}

async fn envelope_or_empty(response: reqwest::Response) -> Vec<String> {
    if response.status() == 200 {
        Vec::new()
    } else {
        envelope(response).await
    }
}

async fn provider_failures_map_to_the_original_statuses_and_are_not_counted(ai: Ai) {
    let cases = [
        (
            ResponseTemplate::new(429),
            429,
            "El proveedor de IA del sistema ha alcanzado su límite de tráfico. Inténtalo en unos minutos o configura tu propia API key en Perfil > IA.",
        ),
        (
            ResponseTemplate::new(500),
            502,
            "Error al conectar con el servicio de IA.",
        ),
        (
            ResponseTemplate::new(200).set_body_string("{not json"),
            502,
            "Error al conectar con el servicio de IA.",
        ),
        (
            gemini_answer(TEXT).set_delay(Duration::from_secs(3)),
            504,
            "El servicio de IA tardó demasiado. Inténtalo de nuevo.",
        ),
    ];
    for (answer, status, message) in cases {
        ai.mock.reset().await;
        Mock::given(method("POST"))
            .and(path(GEMINI_PATH))
            .respond_with(answer)
            .mount(&ai.mock)
            .await;
        let response = ai.improve(json!({"contenido": TEXT, "idioma": "es"})).await;
        assert_eq!(response.status(), status, "{message}");
        assert_eq!(envelope(response).await, [message]);
    }
    assert_eq!(ai.usage().await, (0, 0), "failed calls are not counted");
}

async fn a_dropped_placeholder_is_retried_once_then_refused(ai: Ai) {
    // First answer drops {HORA_LLEGADA}; the retry, told so, keeps it.
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .and(body_string_contains("IMPORTANTE"))
        .and(body_string_contains("{HORA_LLEGADA}"))
        .respond_with(gemini_answer("Hola {NOMBRE}, a las {HORA_LLEGADA}."))
        .expect(1)
        .mount(&ai.mock)
        .await;
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer("Hola {NOMBRE}, a las 22:00."))
        .mount(&ai.mock)
        .await;
    let response = ai.improve(json!({"contenido": TEXT, "idioma": "es"})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["contenido"],
        "Hola {NOMBRE}, a las {HORA_LLEGADA}."
    );
    assert_eq!(ai.usage().await, (1, 1), "one use for the two calls");

    ai.mock.reset().await;
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .respond_with(gemini_answer("Hola María, a las 22:00."))
        .expect(2)
        .mount(&ai.mock)
        .await;
    let response = ai.improve(json!({"contenido": TEXT, "idioma": "es"})).await;
    assert_eq!(response.status(), 502);
    assert_eq!(
        envelope(response).await,
        ["La IA no conservó estos marcadores: {NOMBRE}, {HORA_LLEGADA}. Inténtalo de nuevo."]
    );
    assert_eq!(ai.usage().await, (1, 1));
}

async fn the_template_is_checked_before_the_body(ai: Ai) {
    let missing = "/api/vault/plantillas/6f1c2e4a-0b1d-4c7e-9a55-0c2a1f3b4d5e/mejoras";
    let response = ai
        .app
        .call("POST", missing, Some(&ai.token), Some(&json!({})))
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(envelope(response).await, ["Plantilla no encontrada."]);
    let response = ai
        .improve(json!({"contenido": TEXT, "idioma": "chino", "tono": "serio"}))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        [
            "Idioma no válido. Opciones: es, en, fr, de, it, pt.",
            "Tono no válido. Opciones: clasico, cercano, entusiasta, minimalista."
        ]
    );
}

async fn a_companys_own_key_skips_the_quota_and_is_masked(ai: Ai) {
    let key = "sk-company-1234567890";
    let body = json!({"proveedor": "openai", "modelo": null, "api_key": key});
    let saved = ai
        .app
        .call(
            "PUT",
            "/api/perfil/integraciones/ia",
            Some(&ai.token),
            Some(&body),
        )
        .await;
    assert_eq!(saved.status(), 200);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {key}").as_str()))
        .and(body_string_contains("gpt-4o-mini"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"role": "assistant", "content": TEXT}}],
            "usage": {"total_tokens": 30}
        })))
        .expect(7)
        .mount(&ai.mock)
        .await;
    for _ in 0..7 {
        let response = ai.improve(json!({"contenido": TEXT, "idioma": "es"})).await;
        assert_eq!(response.status(), 200, "the free quota of 5 does not apply");
    }
    assert_eq!(ai.usage().await, (7, 7), "own-key uses are still counted");
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(429))
        .with_priority(1)
        .mount(&ai.mock)
        .await;
    let response = ai.improve(json!({"contenido": TEXT, "idioma": "es"})).await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        envelope(response).await,
        [
            "Tu proveedor de IA ha rechazado la petición por exceso de tráfico. Inténtalo en unos minutos."
        ]
    );

    let config: Value = ai
        .app
        .call("GET", "/api/ai/config", Some(&ai.token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        config,
        json!({"data": {"api_key_masked": "sk-c*************7890", "configurado": true, "modelo": null, "proveedor": "openai"}, "ok": true})
    );
}

async fn a_self_hosted_server_gets_the_openai_format(ai: Ai) {
    let missing =
        json!({"proveedor": "openai_compatible", "modelo": "llama3", "api_key": "local-key"});
    let response = ai
        .app
        .call(
            "PUT",
            "/api/perfil/integraciones/ia",
            Some(&ai.token),
            Some(&missing),
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        ["endpoint: El proveedor openai_compatible necesita la URL base de su servidor."]
    );
    let body = json!({
        "proveedor": "openai_compatible",
        "modelo": "llama3",
        "api_key": "local-key",
        "endpoint": format!("{}/llm/v1", ai.mock.uri()),
    });
    let saved = ai
        .app
        .call(
            "PUT",
            "/api/perfil/integraciones/ia",
            Some(&ai.token),
            Some(&body),
        )
        .await;
    assert_eq!(saved.status(), 200);
    Mock::given(method("POST"))
        .and(path("/llm/v1/chat/completions"))
        .and(header("authorization", "Bearer local-key"))
        .and(body_string_contains("\"model\":\"llama3\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"role": "assistant", "content": TEXT}}]
        })))
        .expect(1)
        .mount(&ai.mock)
        .await;
    let response = ai.improve(json!({"contenido": TEXT, "idioma": "es"})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["contenido"], TEXT);
}

async fn ai_config_is_for_admins(ai: Ai) {
    let config: Value = ai
        .app
        .call("GET", "/api/ai/config", Some(&ai.token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        config,
        json!({"data": {"api_key_masked": null, "configurado": false, "modelo": null, "proveedor": null}, "ok": true})
    );
    ai.app
        .seed_user("op@example.com", Role::Operations, false)
        .await;
    let op = ai.app.login("op@example.com").await;
    let response = ai.app.call("GET", "/api/ai/config", Some(&op), None).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        ai.app
            .call("GET", "/api/ai/uso", Some(&op), None)
            .await
            .status(),
        200
    );
    assert_eq!(
        ai.app.call("GET", "/api/ai/uso", None, None).await.status(),
        401
    );
}

async fn system_prompts_are_stored_and_used_by_the_next_call(ai: Ai) {
    let url = "/api/admin/system-prompts/vault_mejorar";
    let response = ai.app.call("GET", url, None, None).await;
    assert_eq!(response.status(), 404);
    assert_eq!(envelope(response).await, ["System prompt no encontrado."]);
    let response = ai
        .app
        .call("PUT", url, None, Some(&json!({"contenido": ""})))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        envelope(response).await,
        ["El campo contenido es obligatorio."]
    );
    let saved = ai
        .app
        .call(
            "PUT",
            url,
            None,
            Some(&json!({"contenido": "Reescribe como un pirata."})),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let got: Value = ai
        .app
        .call("GET", url, None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({"contenido": "Reescribe como un pirata.", "nombre": "vault_mejorar", "ok": true})
    );
    Mock::given(method("POST"))
        .and(path(GEMINI_PATH))
        .and(body_string_contains("Reescribe como un pirata."))
        .respond_with(gemini_answer(TEXT))
        .expect(1)
        .mount(&ai.mock)
        .await;
    assert_eq!(
        ai.improve(json!({"contenido": TEXT, "idioma": "es"}))
            .await
            .status(),
        200
    );
}

on_both_databases!(@with super::with_mock;
    improve_goes_to_the_system_provider_and_is_counted,
    translate_uses_the_translation_prompt,
    twenty_at_once_spend_exactly_the_quota,
    provider_failures_map_to_the_original_statuses_and_are_not_counted,
    a_dropped_placeholder_is_retried_once_then_refused,
    the_template_is_checked_before_the_body,
    a_companys_own_key_skips_the_quota_and_is_masked,
    a_self_hosted_server_gets_the_openai_format,
    ai_config_is_for_admins,
    system_prompts_are_stored_and_used_by_the_next_call,
);

#[tokio::test]
async fn system_prompts_refuse_other_client_ips() {
    let app = TestApp::spawn_configured(|s| s.ai.prompt_admin_ips = "10.0.0.1".into()).await;
    let url = "/api/admin/system-prompts/vault_mejorar";
    for (method, body) in [("GET", None), ("PUT", Some(json!({"contenido": "x"})))] {
        let response = app.call(method, url, None, body.as_ref()).await;
        assert_eq!(response.status(), 403);
        assert_eq!(envelope(response).await, ["Acceso denegado."]);
    }
}
