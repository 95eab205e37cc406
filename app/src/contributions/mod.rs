//! Contributions: uploads (single and multipart) checked before a byte is
//! stored, routed by the gateway, logged and receipted.

pub mod store;
