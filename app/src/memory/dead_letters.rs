use super::MemoryPlatform;
use crate::dead_letters::store::DeadLetterStore;

#[derive(Default)]
pub struct Tables {}

impl DeadLetterStore for MemoryPlatform {}
