//! Field rules this crate's formats share. All but the length limit are
//! fairtrain-core's own (imported, so one field means one thing in every
//! signed document, and each rule has one copy): ids and text
//! ([`fairtrain_core::fields`]), and the canonical time spelling of the
//! strict rebuild check ([`fairtrain_core::json_shape`]).

pub(crate) use fairtrain_core::fields::{
    all_distinct, is_free_text, is_token_text, is_urn_uuid, parse_utc, MAX_SAFE_INTEGER,
};
pub(crate) use fairtrain_core::json_shape::parse_canonical_time;

/// Longest id or label (`event_id`, `model_id`, `training_run_id`): printable
/// ASCII without spaces, as the log's text fields allow.
pub const MAX_TEXT_LEN: usize = 200;
