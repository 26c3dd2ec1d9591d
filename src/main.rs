//! Runs as an AWS Lambda function when `AWS_LAMBDA_RUNTIME_API` is set, else once from the command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    // One thread is plenty for a few concurrent HTTP calls, and starts faster with less memory.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        match runtime.block_on(hyperdrive_dsql_rotator::lambda::main()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: the Lambda runtime stopped: {e}");
                ExitCode::from(1)
            }
        }
    } else {
        runtime.block_on(hyperdrive_dsql_rotator::cli::main(std::env::args().skip(1)))
    }
}
