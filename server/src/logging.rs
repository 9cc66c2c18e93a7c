//! Logging: `SHARDSCOPE_LOG` (tracing filter syntax), default `info`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("SHARDSCOPE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,hyper=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colours only on a terminal: log files stay plain text (and greppable).
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .try_init();
}
