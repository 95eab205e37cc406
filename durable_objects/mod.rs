//! Durable Objects: each owns its own state and nothing else.

pub mod log_sequencer;
