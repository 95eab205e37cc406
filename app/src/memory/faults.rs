use super::MemoryPlatform;
use crate::faults::Faults;

#[derive(Default)]
pub struct Tables {}

impl Faults for MemoryPlatform {}
