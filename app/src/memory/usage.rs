use super::MemoryPlatform;
use crate::usage::store::UsageStore;

#[derive(Default)]
pub struct Tables {}

impl UsageStore for MemoryPlatform {}
