use std::collections::BTreeMap;

use super::MemoryPlatform;
use crate::error::Result;
use crate::faults::{Fault, Faults};

#[derive(Default)]
pub struct Tables {
    /// Target (a report id, or `*` for any) → (uses left, fault).
    pub usage: BTreeMap<String, (u32, Fault)>,
}

impl MemoryPlatform {
    /// Makes the next `remaining` usage messages of `target` (a report id,
    /// or `*` for any) fail with `fault`.
    pub fn inject_fault(&self, target: &str, remaining: u32, fault: Fault) {
        self.state
            .borrow_mut()
            .faults
            .usage
            .insert(target.to_string(), (remaining, fault));
    }
}

impl Faults for MemoryPlatform {
    async fn usage_fault(&self, report_id: &str) -> Result<Option<Fault>> {
        let mut s = self.state.borrow_mut();
        let usage = &mut s.faults.usage;
        for target in [report_id, "*"] {
            if let Some((remaining, fault)) = usage.get_mut(target).filter(|(n, _)| *n > 0) {
                *remaining -= 1;
                return Ok(Some(*fault));
            }
        }
        Ok(None)
    }
}
