//! Aurora DSQL: IAM auth tokens (`token`) and the endpoint rules (`endpoint`).

pub mod endpoint;
pub mod token;
