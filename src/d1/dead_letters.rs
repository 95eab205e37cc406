use fairtrain_app::dead_letters::store::DeadLetterStore;

use crate::runtime::Runtime;

impl DeadLetterStore for Runtime {}
