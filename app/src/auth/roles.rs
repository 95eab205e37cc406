//! Who may call what: roles, and registered creators.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::principal::{Principal, Role};

use crate::error::{Error, Result};
use crate::platform::Platform;

/// The caller holds one of `roles`.
pub fn require_role(principal: &Principal, roles: &[Role]) -> Result<()> {
    if roles.contains(&principal.role) {
        return Ok(());
    }
    let wanted = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ");
    Err(Error::forbidden(format!(
        "this endpoint is for {wanted}; the credentials are for {}",
        principal.role
    ))
    .with("role", principal.role.as_str()))
}

/// The caller is a creator whose did:key is registered.
pub async fn require_registered_creator(
    p: &impl Platform,
    principal: &Principal,
) -> Result<DidKey> {
    require_role(principal, &[Role::Creator])?;
    if !p.is_registered(&principal.id).await? {
        return Err(Error::forbidden(
            "this did:key is not registered as a creator: POST /v1/creators first",
        ));
    }
    principal
        .id
        .parse()
        .map_err(|_| Error::internal("a verified signer is not a did:key"))
}
