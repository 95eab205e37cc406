use super::MemoryPlatform;
use crate::licenses::store::LicenseStore;

#[derive(Default)]
pub struct Tables {}

impl LicenseStore for MemoryPlatform {}
