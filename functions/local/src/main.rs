//! `kairos-local [serve|migrate|seed|manifest]`: the local fleet's entry point.

use std::process::ExitCode;

const USAGE: &str = "usage: kairos-local [serve|migrate|seed|manifest]
  serve     serve every route on $BIND (default 127.0.0.1:3000), run the queue
            consumers and the schedules
  migrate   apply migrations to $DATABASE_ADMIN_URL
  seed      add the demo business (through the API) and print its login
  manifest  print functions.json";

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init_local();
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let result = match command.as_str() {
        "serve" => serve().await,
        "migrate" => migrate().await,
        "seed" => seed().await,
        "manifest" => {
            print!("{}", local::manifest());
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kairos-local {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result = std::result::Result<(), Box<dyn std::error::Error>>;

fn admin_url() -> std::result::Result<String, String> {
    std::env::var("DATABASE_ADMIN_URL").map_err(|_| "set DATABASE_ADMIN_URL (a role that owns the schema)".into())
}

async fn migrate() -> Result {
    let version = shared::db::migrate(&admin_url()?).await?;
    println!("schema at version {version}");
    Ok(())
}

async fn seed() -> Result {
    let app = local::app_from_env().await?;
    println!("{}", local::seed::demo(app).await?);
    Ok(())
}

async fn serve() -> Result {
    let app = local::app_from_env().await?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let routes = local::operations().iter().filter(|o| o.http_route().is_some()).count();
    tracing::info!("serving {routes} routes on http://{bind}");
    // SQS consumers and schedules, as Lambda's event sources and EventBridge would run them.
    local::workers::spawn_all(&app, &local::operations());
    // The WhatsApp Cloud API stand-in (point WHATSAPP_API_BASE at /_fake/whatsapp).
    let whatsapp = local::whatsapp_fake::Fake::default();
    let router = local::router(app).nest("/_fake/whatsapp", whatsapp.router());
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
