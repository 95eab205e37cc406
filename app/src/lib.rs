//! fairtrain-app: fairtrain's application layer, the use cases over small
//! ports. No `worker` dependency.

pub mod webhooks;
