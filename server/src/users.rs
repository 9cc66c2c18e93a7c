//! `shardscope-server user ...`: staff account administration, as the routing DB's owner
//! (SHARDSCOPE_MIGRATE_URL). Every change is written to the access audit.
//!
//!   user add --email E --role superadmin|support|viewer   password from SHARDSCOPE_NEW_PASSWORD,
//!                                                         else the first line of standard input;
//!                                                         on an existing email: a reset (role,
//!                                                         password, enabled, sessions ended)
//!   user disable --email E | user enable --email E
//!   user role --email E --role R
//!   user list

use std::io::BufRead;

use shardscope::auth::accounts::admin;
use shardscope::auth::{AuditAction, AuditEvent, Role, Staff, audit};

use crate::cli::CliResult;

pub const USAGE: &str = "user add --email E --role superadmin|support|viewer | user disable --email E | user enable --email E | user role --email E --role R | user list";

pub async fn run(args: &[&str]) -> CliResult {
    let url = std::env::var("SHARDSCOPE_MIGRATE_URL").map_err(|_| {
        "SHARDSCOPE_MIGRATE_URL is not set (the routing database, as its owner: accounts are not \
         the console's to change)"
    })?;
    let pool = shardscope::migrate::connect(&url).await?;
    let role = |r: &str| r.parse::<Role>();
    let (staff, action) = match args {
        ["add", "--email", email, "--role", r] | ["add", "--role", r, "--email", email] => {
            let role = role(r)?;
            let password = new_password()?;
            let (staff, created) = admin::upsert(&pool, email, role, &password).await?;
            // An existing email is a reset (role, password, enabled): audited as such.
            let action = if created {
                AuditAction::AccountAdded
            } else {
                AuditAction::PasswordReset
            };
            (staff, action)
        }
        ["disable", "--email", email] => (
            admin::set_disabled(&pool, email, true).await?,
            AuditAction::AccountDisabled,
        ),
        ["enable", "--email", email] => (
            admin::set_disabled(&pool, email, false).await?,
            AuditAction::AccountEnabled,
        ),
        ["role", "--email", email, "--role", r] => (
            admin::set_role(&pool, email, role(r)?).await?,
            AuditAction::RoleChanged,
        ),
        ["list"] => {
            for s in admin::list(&pool).await? {
                let state = if s.disabled { "disabled" } else { "active" };
                println!(
                    "{:>5}  {:<40} {:<11} {state}",
                    s.id,
                    s.email,
                    s.role.as_str()
                );
            }
            return Ok(());
        }
        _ => return Err(format!("usage: shardscope-server {USAGE}").into()),
    };
    record(&pool, &staff, action).await?;
    let state = if staff.disabled { "disabled" } else { "active" };
    println!("{} {} ({}, {state})", action, staff.email, staff.role);
    Ok(())
}

fn new_password() -> Result<String, Box<dyn std::error::Error>> {
    if let Ok(p) = std::env::var("SHARDSCOPE_NEW_PASSWORD")
        && !p.is_empty()
    {
        return Ok(p);
    }
    eprintln!("password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        return Err("no password given: set SHARDSCOPE_NEW_PASSWORD or pipe one line".into());
    }
    Ok(p)
}

async fn record(pool: &sqlx::PgPool, staff: &Staff, action: AuditAction) -> CliResult {
    let event = AuditEvent {
        detail: Default::default(),
        staff: None,
        action,
        target: format!("account:{} ({}, {})", staff.id, staff.email, staff.role),
        client_addr: "cli".into(),
    };
    audit::insert(pool, &event).await?;
    Ok(())
}
