//! The benchmark's baseline (scripts/bench.sh): the smallest `lambda_runtime` function, echoing its
//! event, built with the workspace's release profile like the product.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
