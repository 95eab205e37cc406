//! The database probe in memory: always answers.

use super::MemoryPlatform;
use crate::error::Result;
use crate::health::{DatabaseProbe, Ping};

impl DatabaseProbe for MemoryPlatform {
    async fn ping_database(&self) -> Result<Ping> {
        Ok(Ping::Ok)
    }
}
