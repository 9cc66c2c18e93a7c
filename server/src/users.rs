//! `shardscope-server user ...`: staff account administration, as the routing DB's owner
//! (SHARDSCOPE_MIGRATE_URL). Every change is written to the access audit.
//! `shardscope-server user --help` lists the commands.

use std::io::BufRead;

use shardscope::auth::accounts::admin;
use shardscope::auth::{AuditAction, AuditEvent, Role, Staff, audit};

use crate::command_result::CliResult;

/// `user …`: what an operator asks for.
#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Add an account, or reset an existing one (role, password, enabled; its sessions end).
    /// The password comes from SHARDSCOPE_NEW_PASSWORD, else the first line of standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Disable an account (its sessions end).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Change an account's role.
    Role {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List every account.
    List,
}

fn parse_role(r: &str) -> Result<Role, String> {
    r.parse::<Role>().map_err(|e| e.to_string())
}

pub async fn run(command: UserCommand) -> CliResult {
    let url = std::env::var("SHARDSCOPE_MIGRATE_URL").map_err(|_| {
        "SHARDSCOPE_MIGRATE_URL is not set (the routing database, as its owner: accounts are not \
         the console's to change)"
    })?;
    let pool = shardscope::migrate::connect(&url).await?;
    let (staff, action) = match command {
        UserCommand::Add { email, role } => {
            let password = new_password()?;
            let (staff, created) = admin::upsert(&pool, &email, role, &password).await?;
            // An existing email is a reset (role, password, enabled): audited as such.
            let action = if created {
                AuditAction::AccountAdded
            } else {
                AuditAction::PasswordReset
            };
            (staff, action)
        }
        UserCommand::Disable { email } => (
            admin::set_disabled(&pool, &email, true).await?,
            AuditAction::AccountDisabled,
        ),
        UserCommand::Enable { email } => (
            admin::set_disabled(&pool, &email, false).await?,
            AuditAction::AccountEnabled,
        ),
        UserCommand::Role { email, role } => (
            admin::set_role(&pool, &email, role).await?,
            AuditAction::RoleChanged,
        ),
        UserCommand::List => {
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
