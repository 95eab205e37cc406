//! The transparency log, as the rest of the application uses it: append
//! typed events (and tell webhook subscribers), promise their inclusion.

mod append;
pub mod protocol;
pub mod sequencer_port;

pub use append::{append, origin, promise, Appended, INCLUSION_DEADLINE_MS};
