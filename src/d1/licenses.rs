use fairtrain_app::licenses::store::LicenseStore;

use crate::runtime::Runtime;

impl LicenseStore for Runtime {}
