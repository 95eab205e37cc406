//! Dead letters: queue messages that exhausted their retries, parked for replay.

pub mod store;
