use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    shardscope_server::telemetry::init();
    match shardscope_server::cli::run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
