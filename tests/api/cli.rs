//! The binary as a user runs it: first start with no configuration, the
//! secrets file, the printed superadmin, `create-superadmin`, start-up
//! errors, `--help`, and graceful shutdown.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_stay-sidekick");

fn client() -> reqwest::Client {
    stay_sidekick::integrations::http::install_crypto_provider();
    reqwest::Client::new()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary in `dir` with a clean environment (nothing of the caller's).
fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

struct Server {
    child: Child,
    base: String,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(dir: &Path, extra: &[(&str, &str)]) -> Server {
        let port = free_port();
        let stdout = std::fs::File::create(dir.join("stdout.log")).unwrap();
        let stderr = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let mut cmd = command(dir);
        cmd.env("PORT", port.to_string())
            .env("RATELIMIT_ENABLED", "false")
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr));
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
        }
    }

    async fn wait_healthy(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let response = client.get(format!("{}/api/health", self.base)).send().await;
            if response.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("not healthy; stderr:\n{}", self.stderr());
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.join("stdout.log")).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let response = client
        .get(format!("{base}/api/csrf-token"))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = response.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    client
        .post(format!("{base}/api/auth/login"))
        .header("X-CSRF-Token", token)
        .header("Cookie", cookie)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

fn printed_password(stdout: &str) -> Option<String> {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .map(|p| p.trim().to_string())
}

#[tokio::test]
async fn first_start_needs_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let mut server = Server::start(dir.path(), &[]);
    server.wait_healthy(&client).await;

    // Schema and secrets beside the database, owner-only.
    let secrets = dir.path().join("data/secrets.env");
    assert!(dir.path().join("data/stay-sidekick.db").exists());
    let text = std::fs::read_to_string(&secrets).unwrap();
    for key in ["SECRET_KEY=", "JWT_SECRET_KEY=", "FERNET_KEY="] {
        assert!(text.contains(key), "{key}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        server.stderr().contains("secrets.env"),
        "the log says where the secrets are"
    );

    // The generated superadmin is printed once and can log in.
    let deadline = Instant::now() + Duration::from_secs(20);
    let password = loop {
        if let Some(p) = printed_password(&server.stdout()) {
            break p;
        }
        assert!(
            Instant::now() < deadline,
            "no password printed: {}",
            server.stdout()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(server.stdout().contains("admin@example.com"));
    let response = login(&client, &server.base, "admin@example.com", &password).await;
    assert_eq!(response.status(), 200);
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let me = client
        .get(format!("{}/api/auth/validacion", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let ready = client
        .get(format!("{}/api/ready", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert!(server.terminate().success());
    let log = server.stderr();
    assert!(log.contains("stopped"));
    // One line per request, and never a token, a password or a secret.
    assert!(
        log.contains("route=\"/api/auth/login\" status=200"),
        "{log}"
    );
    assert!(
        !log.contains("eyJ") && !log.contains(&token[20..40]),
        "a token leaked into the log"
    );
    assert!(!log.contains(&password), "the password leaked into the log");
    for secret in text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(_, v)| v)
    {
        assert!(!log.contains(secret), "a secret leaked into the log");
    }

    // A second start reuses everything and prints no new password.
    let mut again = Server::start(dir.path(), &[]);
    again.wait_healthy(&client).await;
    assert_eq!(std::fs::read_to_string(&secrets).unwrap(), text);
    assert!(printed_password(&again.stdout()).is_none());
    assert_eq!(
        login(&client, &again.base, "admin@example.com", &password)
            .await
            .status(),
        200
    );
    assert!(again.terminate().success());
}

#[tokio::test]
async fn admin_email_and_password_seed_the_first_superadmin() {
    let dir = tempfile::tempdir().unwrap();
    let client = client();
    let mut server = Server::start(
        dir.path(),
        &[
            ("ADMIN_EMAIL", "Boss@Example.com"),
            ("ADMIN_PASSWORD", "a-long-password"),
        ],
    );
    server.wait_healthy(&client).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = login(&client, &server.base, "boss@example.com", "a-long-password").await;
        if response.status() == 200 {
            let token = response.json::<Value>().await.unwrap()["token"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(!token.is_empty());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "superadmin never created: {}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(printed_password(&server.stdout()).is_none());
    server.terminate();
}

#[tokio::test]
async fn in_flight_requests_finish_after_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let status = command(dir.path())
        .args([
            "create-superadmin",
            "--email",
            "ops@example.com",
            "--password",
            "a-long-password",
            "--empresa",
            "Ops",
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let client = client();
    let mut server = Server::start(dir.path(), &[]);
    server.wait_healthy(&client).await;
    // A login spends ~0.2 s (more in debug builds) in bcrypt: stop meanwhile.
    let base = server.base.clone();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            login(&client, &base, "ops@example.com", "a-long-password")
                .await
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(60)).await;
    let exit = tokio::task::spawn_blocking(move || {
        let status = server.terminate();
        (status, server)
    });
    assert_eq!(
        in_flight.await.unwrap(),
        200,
        "the in-flight login finished"
    );
    let (status, server) = exit.await.unwrap();
    assert!(status.success());
    // The login was still being served when the shutdown began.
    let log = server.stderr();
    let shutdown_at = log.find("shutting down").expect("shutdown logged");
    let login_at = log
        .find("route=\"/api/auth/login\" status=200")
        .expect("login logged");
    assert!(
        shutdown_at < login_at,
        "the login had finished before the signal:\n{log}"
    );
}

#[test]
fn create_superadmin_validates_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| command(dir.path()).args(args).output().unwrap();
    let bad = run(&[
        "create-superadmin",
        "--email",
        "not-an-email",
        "--password",
        "a-long-password",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a valid email"));
    let short = run(&[
        "create-superadmin",
        "--email",
        "x@example.com",
        "--password",
        "short",
    ]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("8 to 128"));
    let long = run(&[
        "create-superadmin",
        "--email",
        "x@example.com",
        "--password",
        &"ñ".repeat(40),
    ]);
    assert!(!long.status.success());
    assert!(String::from_utf8_lossy(&long.stderr).contains("72 bytes"));
    let ok = run(&[
        "create-superadmin",
        "--email",
        "x@example.com",
        "--password",
        "a-long-password",
        "--empresa",
        "Acme",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("superadmin x@example.com"));
    let migrate = run(&["migrate"]);
    assert!(migrate.status.success());
    assert!(String::from_utf8_lossy(&migrate.stderr).contains("schema up to date"));
}

#[test]
fn postgres_without_secrets_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SECRET_KEY, JWT_SECRET_KEY, FERNET_KEY must be set"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing generated for PostgreSQL"
    );
}

#[test]
fn bad_configuration_is_refused_with_the_variable_named() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value, expected) in [
        ("FERNET_KEY", "short", "FERNET_KEY"),
        ("RATE_LIMIT_CONTACT", "5/fortnight", "RATE_LIMIT_CONTACT"),
        ("TRUSTED_PROXIES", "not-an-ip", "TRUSTED_PROXIES"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
    ] {
        let out = command(dir.path())
            .env(var, value)
            .arg("migrate")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{var}: {stderr}");
    }
}

#[test]
fn help_documents_every_environment_variable() {
    let out = command(Path::new(".")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "HOST",
        "PORT",
        "DATABASE_URL",
        "SECRET_KEY",
        "JWT_SECRET_KEY",
        "JWT_ACCESS_TOKEN_HOURS",
        "FERNET_KEY",
        "ALLOWED_ORIGINS",
        "MAX_UPLOAD_BYTES",
        "RATE_LIMIT_CONTACT",
        "RATE_LIMIT_DEFAULT",
        "RATELIMIT_ENABLED",
        "REDIS_URL",
        "TRUSTED_PROXIES",
        "FLASK_ENV",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "ADMIN_EMAIL",
        "ADMIN_PASSWORD",
        "ALLOW_PRIVATE_PMS_ENDPOINTS",
        "BCRYPT_CONCURRENCY",
        "SHUTDOWN_GRACE_SECONDS",
    ] {
        assert!(
            help.contains(&format!("[env: {var}")),
            "{var} missing from --help"
        );
    }
    for command in ["serve", "migrate", "create-superadmin"] {
        assert!(help.contains(command), "{command}");
    }
}

#[test]
fn dotenv_file_is_read_but_never_overrides_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=mysql://from-dotenv\nLOG_FORMAT=json\n",
    )
    .unwrap();
    let from_file = command(dir.path()).arg("migrate").output().unwrap();
    assert!(
        !from_file.status.success(),
        "the .env DATABASE_URL was used"
    );
    assert!(String::from_utf8_lossy(&from_file.stderr).contains("DATABASE_URL"));
    let overridden = command(dir.path())
        .env("DATABASE_URL", "sqlite://./other.db")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        overridden.status.success(),
        "{}",
        String::from_utf8_lossy(&overridden.stderr)
    );
    assert!(dir.path().join("other.db").exists());
    // LOG_FORMAT=json from the same file: every log line is a JSON object.
    let stderr = String::from_utf8_lossy(&overridden.stderr);
    assert!(stderr.lines().count() >= 2, "{stderr}");
    for line in stderr.lines() {
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            value["level"].is_string() && value["message"].is_string(),
            "{line}"
        );
    }
}
