//! The actions an invocation can run, one module each, over the shared [`Context`]: `rotate`
//! (today's scheduled run). Revoke, status and the Secrets Manager rotation steps each get a module
//! here, and a variant of [`ActionName`] that the dispatcher matches.
//!
//! [`Context`]: crate::context::Context
//! [`ActionName`]: crate::invocation::ActionName

pub mod rotate;
