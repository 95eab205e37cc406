use fairtrain_app::usage::store::UsageStore;

use crate::runtime::Runtime;

impl UsageStore for Runtime {}
