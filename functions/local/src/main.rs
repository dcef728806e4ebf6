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
    let url = admin_url()?;
    let version = shared::db::migrate(&url).await?;
    // The plans' prices in the local Stripe stand-in's catalog (a real environment sets
    // its own Stripe price ids once; see docs/billing.md).
    let pool = sqlx::PgPool::connect(&url).await?;
    sqlx::query("UPDATE plans SET stripe_price_id = 'price_kairos_' || id || '_monthly' WHERE id <> 'free' AND stripe_price_id IS NULL")
        .execute(&pool)
        .await?;
    println!("schema at version {version}");
    Ok(())
}

/// The webhook signing secret of the local fleet's Stripe stand-in (scripts/local-aws.py
/// puts the same one in the `kairos/stripe` secret).
const LOCAL_STRIPE_WEBHOOK_SECRET: &str = "whsec_kairos_local";

/// The Stripe stand-in on `$STRIPE_FAKE_BIND` (default 127.0.0.1:12111), unless
/// STRIPE_API_BASE names a Stripe to use instead.
async fn local_stripe() -> std::result::Result<Option<stripe_fake::Fake>, std::io::Error> {
    if std::env::var("STRIPE_API_BASE").is_ok() {
        return Ok(None);
    }
    let bind = std::env::var("STRIPE_FAKE_BIND").unwrap_or_else(|_| "127.0.0.1:12111".into());
    Ok(Some(stripe_fake::Fake::start_on(&bind).await?))
}

/// The Google stand-in (OAuth and Calendar) on `$GOOGLE_FAKE_BIND` (default
/// 127.0.0.1:12112), unless GOOGLE_CALENDAR_API_BASE names a Google to use instead. Its
/// consent page signs anyone in: connecting a staff member's calendar locally works
/// without a Google account.
async fn local_google() -> std::result::Result<Option<google_fake::Fake>, std::io::Error> {
    if std::env::var("GOOGLE_CALENDAR_API_BASE").is_ok() {
        return Ok(None);
    }
    let bind = std::env::var("GOOGLE_FAKE_BIND").unwrap_or_else(|_| "127.0.0.1:12112".into());
    Ok(Some(google_fake::Fake::start_on(&bind).await?))
}

async fn seed() -> Result {
    let app = local::app_from_env().await?;
    println!("{}", local::seed::demo(app).await?);
    Ok(())
}

async fn serve() -> Result {
    let stripe = local_stripe().await?;
    let google = local_google().await?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let app = shared::App::from_env_with(|config| {
        local::wire(config);
        if let Some(fake) = &stripe {
            config.stripe_api_base = fake.base_url();
        }
        if let Some(fake) = &google {
            config.google_oauth_auth_url = fake.auth_url();
            config.google_oauth_token_url = fake.token_url();
            config.google_oauth_revoke_url = fake.revoke_url();
            config.google_calendar_api_base = fake.api_base();
            if std::env::var("API_URL").is_err() {
                config.api_url = format!("http://{bind}");
            }
        }
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    if let Some(fake) = &stripe {
        fake.add_endpoint(&format!("http://{bind}/v1/webhooks/stripe"), LOCAL_STRIPE_WEBHOOK_SECRET);
        tracing::info!("Stripe stand-in on {} (checkout pages included)", fake.base_url());
    }
    if let Some(fake) = &google {
        tracing::info!("Google stand-in on {} (OAuth consent and Calendar API)", fake.base_url());
    }
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
