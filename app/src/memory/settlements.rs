use super::MemoryPlatform;
use crate::settlements::store::SettlementStore;

#[derive(Default)]
pub struct Tables {}

impl SettlementStore for MemoryPlatform {}
