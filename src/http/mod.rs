//! HTTP plumbing shared by handlers: bodies in, JSON out.

pub mod body;
pub mod reply;
