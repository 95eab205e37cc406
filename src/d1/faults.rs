use fairtrain_app::faults::Faults;

use crate::runtime::Runtime;

impl Faults for Runtime {}
