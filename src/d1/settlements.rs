use fairtrain_app::settlements::store::SettlementStore;

use crate::runtime::Runtime;

impl SettlementStore for Runtime {}
