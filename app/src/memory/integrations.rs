use super::MemoryPlatform;
use crate::integrations::store::IntegrationStore;

#[derive(Default)]
pub struct Tables {}

impl IntegrationStore for MemoryPlatform {}
