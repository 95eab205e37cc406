//! Field rules the signed formats here share with every other signed
//! document: fairtrain-core's own, imported from there, so one field means one
//! thing across every signed document (and there is one copy of each rule).

pub(crate) use fairtrain_core::fields::{all_distinct, is_free_text, is_token_text};
pub(crate) use fairtrain_core::json_shape::parse_canonical_time;
