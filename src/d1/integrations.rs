use fairtrain_app::integrations::store::IntegrationStore;

use crate::runtime::Runtime;

impl IntegrationStore for Runtime {}
