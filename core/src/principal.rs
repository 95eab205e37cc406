//! Who may call the API: roles, and the principal a request was authenticated as.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role decides which endpoints a principal may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The marketplace operator: policies, manifests, keys, buyers, webhooks, settlements.
    Operator,
    /// Licenses datasets, fetches manifests and blobs.
    Buyer,
    /// A training orchestrator: reports usage.
    Orchestrator,
    /// Reads everything, read-only, for a limited time.
    Auditor,
    /// A creator, authenticated by an HTTP Message Signature with their own did:key.
    Creator,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Operator,
        Role::Buyer,
        Role::Orchestrator,
        Role::Auditor,
        Role::Creator,
    ];

    /// Roles that API keys may carry. Operators use the bootstrap token, creators
    /// their own keys: neither holds an API key.
    pub const API_KEY_ROLES: &'static [Role] = &[Role::Buyer, Role::Orchestrator, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Buyer => "buyer",
            Role::Orchestrator => "orchestrator",
            Role::Auditor => "auditor",
            Role::Creator => "creator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; expected one of operator, buyer, orchestrator, auditor, creator")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub role: Role,
    /// API key id, `operator`, or the creator's did:key.
    pub id: String,
    /// Scopes granted to an API key (empty: the role's defaults).
    pub scopes: Vec<String>,
    /// When the credential stops being valid (RFC 3339), if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl Principal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| s == scope || s == "*")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_reject_unknown() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
