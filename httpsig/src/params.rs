//! One signature's metadata: its covered components and signature parameters (RFC 9421 §2.3),
//! i.e. one member of `Signature-Input` and the value of the `@signature-params` line.

use crate::component::ComponentId;
use crate::error::Error;
use crate::sf::{self, BareItem, InnerList, Parameters};

/// The signature parameters RFC 9421 §2.3 defines. Times are UNIX seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureParams {
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub keyid: Option<String>,
    pub alg: Option<String>,
    pub nonce: Option<String>,
    pub tag: Option<String>,
}

/// Covered components plus parameters, with the exact serialisation that goes into both the
/// `Signature-Input` member and the `@signature-params` line.
///
/// Parameter order matters to the signature (§2.3): one built by [`SignatureInput::new`] uses
/// the order created, expires, keyid, alg, nonce, tag (which reproduces the RFC's Appendix B
/// examples); one parsed from a header keeps the order received, and keeps parameters this
/// crate does not know, because they are signed too.
#[derive(Debug, Clone)]
pub struct SignatureInput {
    components: Vec<ComponentId>,
    params: SignatureParams,
    serialized: String,
}

impl SignatureInput {
    /// For signing. Fails on a repeated component or on a value that cannot be serialised
    /// (a string with control characters, a time beyond RFC 8941's integer range).
    pub fn new(components: Vec<ComponentId>, params: SignatureParams) -> Result<Self, Error> {
        let mut raw = Parameters::new();
        let invalid = |e: sf::SfError| Error::InvalidInput(e.to_string());
        let ints = [("created", params.created), ("expires", params.expires)];
        for (key, value) in ints {
            if let Some(v) = value {
                raw.push(key, BareItem::Integer(v)).map_err(invalid)?;
            }
        }
        let strings = [
            ("keyid", &params.keyid),
            ("alg", &params.alg),
            ("nonce", &params.nonce),
            ("tag", &params.tag),
        ];
        for (key, value) in strings {
            if let Some(v) = value {
                raw.push(key, BareItem::String(v.clone()))
                    .map_err(invalid)?;
            }
        }
        Self::assemble(components, params, raw).map_err(|e| match e {
            Error::Malformed { reason, .. } => Error::InvalidInput(reason),
            other => other,
        })
    }

    /// For verifying: one `Signature-Input` member's Inner List.
    pub fn from_inner_list(list: &InnerList) -> Result<Self, Error> {
        let components = list
            .items
            .iter()
            .map(ComponentId::from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let mut params = SignatureParams::default();
        for (key, value) in list.params.iter() {
            let wrong_type = || Error::Malformed {
                what: "Signature-Input",
                reason: format!("parameter `{key}` has the wrong type"),
            };
            let int = || match value {
                BareItem::Integer(i) => Ok(*i),
                _ => Err(wrong_type()),
            };
            let string = || match value {
                BareItem::String(s) => Ok(s.clone()),
                _ => Err(wrong_type()),
            };
            match key {
                "created" => params.created = Some(int()?),
                "expires" => params.expires = Some(int()?),
                "keyid" => params.keyid = Some(string()?),
                "alg" => params.alg = Some(string()?),
                "nonce" => params.nonce = Some(string()?),
                "tag" => params.tag = Some(string()?),
                // Extension parameters (§6.3 registry) are covered by the signature as-is.
                _ => {}
            }
        }
        Self::assemble(components, params, list.params.clone())
    }

    fn assemble(
        components: Vec<ComponentId>,
        params: SignatureParams,
        raw: Parameters,
    ) -> Result<Self, Error> {
        // §2.5 step 2.0: each identifier at most once (parameter order ignored).
        for (i, c) in components.iter().enumerate() {
            if components[..i].contains(c) {
                return Err(Error::DuplicateComponent(c.to_string()));
            }
        }
        let list = InnerList {
            items: components.iter().map(ComponentId::to_item).collect(),
            params: raw,
        };
        let serialized =
            sf::serialize_inner_list(&list).map_err(|e| Error::malformed("Signature-Input", e))?;
        Ok(Self {
            components,
            params,
            serialized,
        })
    }

    pub fn components(&self) -> &[ComponentId] {
        &self.components
    }

    pub fn params(&self) -> &SignatureParams {
        &self.params
    }

    /// Whether `component` is covered (parameter order ignored).
    pub fn covers(&self, component: &ComponentId) -> bool {
        self.components.contains(component)
    }

    /// The Inner List serialisation, e.g. `("@method" "@path");created=1618884473`.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<ComponentId> {
        names.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn builds_in_fixed_order() {
        let input = SignatureInput::new(
            ids(&["@method", "content-digest"]),
            SignatureParams {
                created: Some(1),
                expires: Some(2),
                keyid: Some("k".into()),
                alg: Some("ed25519".into()),
                nonce: Some("n".into()),
                tag: Some("t".into()),
            },
        )
        .unwrap();
        assert_eq!(
            input.as_str(),
            r#"("@method" "content-digest");created=1;expires=2;keyid="k";alg="ed25519";nonce="n";tag="t""#
        );
    }

    #[test]
    fn parsed_order_is_kept() {
        let dict = sf::parse_dictionary(
            r#"s=("@target-uri" "date");keyid="k";alg="rsa-pss-sha512";created=1618884475;ext=?1"#,
        )
        .unwrap();
        let Some(sf::Member::InnerList(list)) = dict.get("s") else {
            panic!()
        };
        let input = SignatureInput::from_inner_list(list).unwrap();
        assert_eq!(
            input.as_str(),
            r#"("@target-uri" "date");keyid="k";alg="rsa-pss-sha512";created=1618884475;ext"#
        );
        assert_eq!(input.params().created, Some(1618884475));
    }

    #[test]
    fn refuses_duplicates_and_bad_values() {
        let dup = SignatureInput::new(ids(&["@method", "@method"]), SignatureParams::default());
        assert_eq!(dup.unwrap_err().code(), "duplicate-component");
        let q1: ComponentId = r#""@query-param";name="a""#.parse().unwrap();
        let dup = SignatureInput::new(vec![q1.clone(), q1], SignatureParams::default());
        assert_eq!(dup.unwrap_err().code(), "duplicate-component");
        let bad = SignatureInput::new(
            vec![],
            SignatureParams {
                nonce: Some("new\nline".into()),
                ..Default::default()
            },
        );
        assert_eq!(bad.unwrap_err().code(), "invalid-input");
        let dict = sf::parse_dictionary(r#"s=();created="yesterday""#).unwrap();
        let Some(sf::Member::InnerList(list)) = dict.get("s") else {
            panic!()
        };
        assert_eq!(
            SignatureInput::from_inner_list(list).unwrap_err().code(),
            "malformed"
        );
    }
}
