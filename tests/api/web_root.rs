//! WEB_ROOT: the web app and static site served beside the API with the
//! original nginx's routing, over a small tree each test builds, with a
//! secret file beside the root that no path may reach.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::metrics::{scrape, value};
use crate::support::{TestApp, envelope, settings};

const SECRET: &str = "TOP-SECRET-7f3a91";
const SPA_INDEX: &str = "<app-root>spa index</app-root>";
const MAIN_JS: &str = "console.log('main bundle');";
const SITE_404: &str = "<h1>site 404 page</h1>";
const LOGIN: &str = "<h1>login page</h1>";

/// `base/secret.txt` beside the root `base/www`.
struct Tree {
    base: tempfile::TempDir,
}

impl Tree {
    fn new(not_found_page: Option<&str>) -> Tree {
        let base = tempfile::tempdir().unwrap();
        std::fs::write(base.path().join("secret.txt"), SECRET).unwrap();
        let root = base.path().join("www");
        let files: &[(&str, &[u8])] = &[
            ("index.html", b"<h1>site home</h1>"),
            ("login/index.html", LOGIN.as_bytes()),
            ("assets/app.css", b"body{}"),
            ("assets/icons/a.png", b"\x89PNG"),
            ("robots.txt", b"User-agent: *"),
            ("sitemap.xml", b"<urlset/>"),
            ("favicon.ico", b"\0\0\x01\0"),
            ("data.json", b"{}"),
            ("img/site.webp", b"RIFF"),
            ("fonts/archivo.woff2", b"wOF2"),
            ("menu/index.html", SPA_INDEX.as_bytes()),
            ("menu/main-7XK2Q3ZB.js", MAIN_JS.as_bytes()),
            ("menu/styles-AB12CD34.css", b"main{}"),
            ("menu/media/archivo-QWERTY12.woff2", b"wOF2"),
            (
                "menu/img/logo.svg",
                b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            ),
        ];
        for (path, body) in files {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, body).unwrap();
        }
        if let Some(page) = not_found_page {
            let file = root.join(page);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, SITE_404).unwrap();
        }
        Tree { base }
    }

    fn root(&self) -> PathBuf {
        self.base.path().join("www")
    }
}

async fn spawn(tree: &Tree) -> TestApp {
    let root = tree.root();
    TestApp::spawn_configured(|s| s.ops.web_root = Some(root)).await
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// One request written as is on the socket: reqwest would normalise `..`.
/// Gives the status and the whole answer (head and body).
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let (addr, target) = (app.addr, target.to_string());
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let request =
            format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, answer)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn spa_deep_links_get_its_index_but_missing_assets_are_404() {
    let tree = Tree::new(Some("404.html"));
    let app = spawn(&tree).await;

    for path in ["/menu/", "/menu/perfil", "/menu/usuarios/ajustes/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(response.text().await.unwrap(), SPA_INDEX, "{path}");
    }
    let response = app.get("/menu/main-7XK2Q3ZB.js").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), MAIN_JS);

    // A missing asset is the site's 404, never the SPA's index.
    let response = app.get("/menu/main-DEADBEEF.js").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), SITE_404);

    // nginx's directory redirects, query kept.
    let response = app.get("/menu?x=1").await;
    assert!(response.status().is_redirection());
    assert_eq!(header(&response, "location"), "/menu/?x=1");
    let response = app.get("/login").await;
    assert!(response.status().is_redirection());
    assert_eq!(header(&response, "location"), "/login/");
    let response = app.get("/login/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), LOGIN);
}

#[tokio::test]
async fn img_comes_from_the_site_then_the_spa_build() {
    let tree = Tree::new(None);
    let app = spawn(&tree).await;
    let response = app.get("/img/site.webp").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "RIFF");
    let response = app.get("/img/logo.svg").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "image/svg+xml");
    assert_eq!(app.get("/img/none.svg").await.status(), 404);
}

#[tokio::test]
async fn content_types_follow_the_extension() {
    let tree = Tree::new(None);
    let app = spawn(&tree).await;
    let cases = [
        ("/", "text/html; charset=utf-8"),
        ("/menu/main-7XK2Q3ZB.js", "text/javascript"),
        ("/menu/styles-AB12CD34.css", "text/css"),
        ("/assets/app.css", "text/css"),
        ("/img/logo.svg", "image/svg+xml"),
        ("/assets/icons/a.png", "image/png"),
        ("/img/site.webp", "image/webp"),
        ("/fonts/archivo.woff2", "font/woff2"),
        ("/data.json", "application/json"),
        ("/favicon.ico", "image/x-icon"),
        ("/robots.txt", "text/plain"),
        ("/sitemap.xml", "text/xml"),
    ];
    for (path, expected) in cases {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "content-type"), expected, "{path}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_html_is_revalidated() {
    let tree = Tree::new(Some("404/index.html"));
    let app = spawn(&tree).await;
    let immutable = "public, max-age=31536000, immutable";
    for path in [
        "/menu/main-7XK2Q3ZB.js",
        "/menu/styles-AB12CD34.css",
        "/menu/media/archivo-QWERTY12.woff2",
    ] {
        let response = app.get(path).await;
        assert_eq!(header(&response, "cache-control"), immutable, "{path}");
        assert_eq!(
            header(&response, "content-security-policy"),
            "frame-ancestors 'none'"
        );
    }
    for path in ["/assets/app.css", "/img/logo.svg", "/robots.txt"] {
        let response = app.get(path).await;
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=3600",
            "{path}"
        );
    }
    // Every page, the SPA's fallback and the 404 page (here 404/index.html).
    for (path, status) in [
        ("/", 200),
        ("/login/", 200),
        ("/menu/", 200),
        ("/menu/perfil", 200),
        ("/no-such-page", 404),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        // Pages keep their origin for Turnstile and Google's consent screen.
        assert_eq!(
            header(&response, "referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        let csp = header(&response, "content-security-policy");
        for directive in [
            "default-src 'self'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",
            "script-src 'self' https://challenges.cloudflare.com",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
    }
    let response = app.get("/no-such-page").await;
    assert_eq!(response.text().await.unwrap(), SITE_404);

    // A revalidated page stays no-cache (the 304 has no content type to go by).
    let response = app.get("/login/").await;
    let modified = header(&response, "last-modified");
    let response = app
        .client
        .get(app.url("/login/"))
        .header("If-Modified-Since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    assert_eq!(header(&response, "cache-control"), "no-cache");

    // API answers keep exactly what they had.
    let response = app.get("/api/health").await;
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(
        header(&response, "content-security-policy"),
        "frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn the_404_page_is_optional() {
    let tree = Tree::new(None);
    let app = spawn(&tree).await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), "Not Found");
}

#[tokio::test]
async fn directories_are_never_listed() {
    let tree = Tree::new(None);
    let app = spawn(&tree).await;
    for path in ["/assets/", "/assets/icons/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("app.css") && !body.contains("a.png"));
    }
    // Under /menu/ a path without an extension is the SPA's.
    let response = app.get("/menu/media/").await;
    assert_eq!(response.text().await.unwrap(), SPA_INDEX);
    let response = app.get("/assets").await;
    assert_eq!(header(&response, "location"), "/assets/");
}

#[tokio::test]
async fn no_path_reaches_outside_the_root() {
    let tree = Tree::new(Some("404.html"));
    let app = spawn(&tree).await;
    // The raw client itself works.
    let (status, answer) = raw_get(&app, "/menu/main-7XK2Q3ZB.js").await;
    assert_eq!(status, 200);
    assert!(answer.ends_with(MAIN_JS));
    // And sends `..` as is: a normalising client would get this file (200).
    let (status, _) = raw_get(&app, "/menu/../menu/main-7XK2Q3ZB.js").await;
    assert_eq!(status, 404);

    let secret = tree.base.path().join("secret.txt");
    let absolute = format!(
        "/%2F{}",
        secret.display().to_string().trim_start_matches('/')
    );
    let escapes = [
        "/../secret.txt",
        "/menu/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/menu/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/menu/..%2F..%2Fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/img/..%2F..%2F..%2Fsecret.txt",
        "/menu/perfil/..%2F..%2F..%2Fsecret",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/menu/..%5c..%5csecret.txt",
        absolute.as_str(),
    ];
    for target in escapes {
        let (status, answer) = raw_get(&app, target).await;
        assert!(!answer.contains(SECRET), "{target} reached the secret");
        // Refused, or (no extension under /menu/) the SPA's index.
        let spa = status == 200 && answer.ends_with(SPA_INDEX);
        assert!(matches!(status, 400 | 404) || spa, "{target}: {status}");
    }
}

#[tokio::test]
async fn the_api_keeps_its_json_answers() {
    let tree = Tree::new(Some("404.html"));
    // A file where an API path would be must still not be served.
    std::fs::create_dir_all(tree.root().join("api")).unwrap();
    std::fs::write(tree.root().join("api/nope"), "from disk").unwrap();
    let app = spawn(&tree).await;
    for path in ["/api/nope", "/api", "/api%2Fnope"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(envelope(response).await, vec!["Recurso no encontrado."]);
    }
    assert_eq!(app.get("/api/health").await.status(), 200);
    // A wrong method on an API route is still the API's 405.
    let response = app.call("DELETE", "/api/health", None, None).await;
    assert_eq!(response.status(), 405);
    envelope(response).await;
}

#[tokio::test]
async fn head_serves_headers_and_other_methods_no_file() {
    let tree = Tree::new(Some("404.html"));
    let app = spawn(&tree).await;
    let response = app.call("HEAD", "/menu/main-7XK2Q3ZB.js", None, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "text/javascript");
    assert_eq!(
        header(&response, "content-length"),
        MAIN_JS.len().to_string()
    );
    assert!(response.bytes().await.unwrap().is_empty());
    let response = app.call("HEAD", "/menu/perfil", None, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-cache");

    for method in ["POST", "PUT", "DELETE"] {
        for path in ["/login/", "/menu/perfil", "/menu/main-7XK2Q3ZB.js"] {
            let response = app.call(method, path, None, None).await;
            assert_eq!(response.status(), 405, "{method} {path}");
            assert_eq!(header(&response, "allow"), "GET, HEAD");
            assert_eq!(envelope(response).await, vec!["Método no permitido."]);
        }
    }
}

#[tokio::test]
async fn files_are_one_metrics_route_and_never_rate_limited() {
    let tree = Tree::new(Some("404.html"));
    let root = tree.root();
    let app = TestApp::spawn_configured(|s| {
        s.ops.web_root = Some(root);
        s.rate_limit_default = "3/minute".into();
    })
    .await;
    let ok = r#"stay_sidekick_http_requests_total{method="GET",route="static",status="200"}"#;
    let missing = r#"stay_sidekick_http_requests_total{method="GET",route="static",status="404"}"#;
    let before = scrape(&app).await;
    let unique = format!("/menu/perfil-{}", uuid::Uuid::new_v4().simple());
    for _ in 0..5 {
        assert_eq!(app.get(&unique).await.status(), 200);
        assert_eq!(app.get("/menu/main-7XK2Q3ZB.js").await.status(), 200);
        assert_eq!(app.get("/missing.png").await.status(), 404);
    }
    let after = scrape(&app).await;
    assert!(value(&after, ok) - value(&before, ok) >= 10.0);
    assert!(value(&after, missing) - value(&before, missing) >= 5.0);
    assert!(!after.contains(&unique) && !after.contains("missing.png"));
    // The same limit does bind an API route.
    let statuses = [
        app.get("/api/perfil").await.status(),
        app.get("/api/perfil").await.status(),
        app.get("/api/perfil").await.status(),
        app.get("/api/perfil").await.status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [401, 401, 401, 429]);
}

#[tokio::test]
async fn without_web_root_nothing_is_served() {
    let app = TestApp::spawn().await;
    for path in ["/", "/menu/", "/menu/perfil", "/login/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(envelope(response).await, vec!["Recurso no encontrado."]);
    }
}

#[tokio::test]
async fn a_web_root_that_is_not_a_directory_stops_the_start() {
    let tree = Tree::new(None);
    let file: &Path = &tree.root().join("index.html");
    let db = crate::support::TestDb::sqlite();
    let mut settings = settings(db.url());
    settings.ops.web_root = Some(file.to_path_buf());
    let error = stay_sidekick::build_state(settings).await.err().unwrap();
    assert!(error.to_string().contains("WEB_ROOT"), "{error}");
}
