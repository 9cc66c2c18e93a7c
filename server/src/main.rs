use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    // Usage errors and --help are clap's: its message, its exit code (2 for a mistake).
    let cli = shardscope_server::cli::Cli::parse();
    shardscope_server::logging::init();
    match shardscope_server::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
