//! The `stay-sidekick` command: parse, configure logging, run one subcommand.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use stay_sidekick::config::Settings;
use stay_sidekick::{bootstrap, build_state, serve, shutdown_signal};

/// Stay Sidekick API server.
///
/// With no configuration at all it serves on 127.0.0.1:5000 from an embedded
/// SQLite file (./data/stay-sidekick.db), generating the secrets it lacks
/// beside it and a first superadmin. Every option can also be given as the
/// environment variable shown (a `.env` file in the working directory is read).
#[derive(Parser)]
#[command(name = "stay-sidekick", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Create a superadmin (or promote an existing user and set their password).
    CreateSuperadmin {
        #[arg(long)]
        email: String,
        #[arg(long, env = "SUPERADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Company of a new superadmin, created if no company has this name.
        #[arg(long, default_value = bootstrap::DEFAULT_COMPANY)]
        empresa: String,
    },
}

/// Upload-sized buffers (256 KiB and more) get mappings of their own, given
/// back to the system when freed. Left to itself, glibc raises this threshold
/// after the first large free and keeps later 10 MiB bodies in arenas that
/// never shrink, so a burst of uploads would hold its peak memory for good.
fn return_large_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

fn main() -> anyhow::Result<()> {
    return_large_buffers_to_the_system();
    // A .env file never overrides the real environment.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let _log_guard =
        stay_sidekick::logging::init(&cli.settings).context("starting the log writer")?;
    stay_sidekick::integrations::http::install_crypto_provider();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let (host, port) = (settings.host.clone(), settings.port);
            let (email, password) = (
                settings.admin_email.clone(),
                settings.admin_password.clone(),
            );
            let grace = Duration::from_secs(settings.shutdown_grace_seconds);
            let state = build_state(settings).await?;
            if !state.store.superadmin_exists().await? {
                if let (Some(e), Some(p)) = (&email, &password) {
                    bootstrap::check_credentials(e, p).context("ADMIN_EMAIL/ADMIN_PASSWORD")?;
                }
                // Hashing takes ~0.2 s: done while the server already answers.
                let store = state.store.clone();
                tokio::spawn(async move {
                    if let Err(err) =
                        bootstrap::ensure_superadmin(&store, email.as_deref(), password.as_deref())
                            .await
                    {
                        tracing::error!(error = %err, "could not create the first superadmin");
                    }
                });
            }
            // (host, port) resolves names such as `localhost` and bare IPv6 such as `::`.
            let listener = tokio::net::TcpListener::bind((host.as_str(), port))
                .await
                .with_context(|| format!("binding HOST={host} PORT={port}"))?;
            let addr = listener.local_addr()?;
            tracing::info!("listening on http://{addr} (API reference: http://{addr}/api/docs)");
            let store = state.store.clone();
            serve(listener, state, shutdown_signal(), grace).await?;
            store.close().await;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Migrate => {
            build_state(settings).await?;
            Ok(())
        }
        Command::CreateSuperadmin {
            email,
            password,
            empresa,
        } => {
            let state = build_state(settings).await?;
            let user =
                bootstrap::create_superadmin(&state.store, &email, &password, &empresa).await?;
            println!("superadmin {} (company {})", user.email, user.company_id);
            Ok(())
        }
    }
}
