//! The transparency log: append typed events (and tell webhook
//! subscribers), promise their inclusion, read the tree; and the sequencer
//! that orders entries into it ([`sequencer`]).

mod append;
pub mod outbox;
mod post;
pub mod protocol;
mod read;
pub mod sequencer;
pub mod sequencer_port;

pub use append::{append, origin, promise, Appended, INCLUSION_DEADLINE_MS};
pub use outbox::{flush, sweep, LogOutboxStore, Logged, PendingEntry};
pub use post::{post_events, Posted, MAX_EVENTS};
pub use read::{
    asset_entries, checkpoint_at, consistency, entry, proof, public_object, PublicObject, IMMUTABLE,
};
pub use sequencer::{AssetEntries, Consistency, EntryLookup, LoggedEntry, PooledEntry};
