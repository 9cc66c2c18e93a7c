//! What every command of the binary returns: nothing, or the error `main` prints before it exits
//! with status 1.

pub type CliResult = Result<(), Box<dyn std::error::Error>>;
