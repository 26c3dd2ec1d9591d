//! The actions an invocation can run, one module each, over the shared [`Context`], each a variant
//! of [`ActionName`] that the dispatcher matches: `rotate` (the scheduled run), `revoke` (break
//! glass: fresh tokens everywhere, then every older credential invalidated), `rotation` (the
//! Secrets Manager rotation steps of the signer keys) and `status` (read only: time to dark).
//!
//! [`Context`]: crate::context::Context
//! [`ActionName`]: crate::invocation::ActionName

pub(crate) mod held;
pub mod revoke;
pub mod rotate;
pub mod rotation;
pub mod status;
pub(crate) mod tokens;
