//! Apply the embedded migrations to `DATABASE_URL` (as a role that owns the schema).

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    shared::telemetry::init_local();
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("kairos-migrate: set DATABASE_URL to the database to migrate");
        return ExitCode::from(2);
    };
    match shared::db::migrate(&url).await {
        Ok(applied) => {
            println!("kairos-migrate: schema is at version {applied}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kairos-migrate: {e}");
            ExitCode::FAILURE
        }
    }
}
