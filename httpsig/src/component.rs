//! Component identifiers (RFC 9421 §2): a derived component (`@method`, ...) or a lowercase
//! header field name, with parameters.
//!
//! Only the parameters this crate can honour are accepted: `name` on `@query-param`. The field
//! parameters `sf`, `key`, `bs`, `req` and `tr` are refused, as §2.5 requires for parameters
//! that are not understood: silently ignoring one would sign something other than what the
//! signer meant.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::query;
use crate::sf::{self, BareItem, Item, Parameters};

/// The derived components this crate can compute for a request (RFC 9421 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    Method,
    TargetUri,
    Authority,
    Scheme,
    RequestTarget,
    Path,
    Query,
    QueryParam,
}

impl Derived {
    pub fn name(self) -> &'static str {
        match self {
            Derived::Method => "@method",
            Derived::TargetUri => "@target-uri",
            Derived::Authority => "@authority",
            Derived::Scheme => "@scheme",
            Derived::RequestTarget => "@request-target",
            Derived::Path => "@path",
            Derived::Query => "@query",
            Derived::QueryParam => "@query-param",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Derived::Method,
            Derived::TargetUri,
            Derived::Authority,
            Derived::Scheme,
            Derived::RequestTarget,
            Derived::Path,
            Derived::Query,
            Derived::QueryParam,
        ]
        .into_iter()
        .find(|d| d.name() == name)
    }
}

/// What a component identifier refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    Derived(Derived),
    Field,
}

/// A validated component identifier. It keeps its parameters in the order received (§2: the
/// order must be preserved) and its strict serialisation, computed once.
#[derive(Debug, Clone)]
pub struct ComponentId {
    name: String,
    kind: ComponentKind,
    params: Parameters,
    serialized: String,
}

impl ComponentId {
    /// A component without parameters: a derived name such as `@method`, or a header field
    /// name (any case; it is lowercased as §2.1 requires).
    pub fn new(name: &str) -> Result<Self, Error> {
        let name = if name.starts_with('@') {
            name.to_owned()
        } else {
            name.to_ascii_lowercase()
        };
        Self::build(name, Parameters::new())
    }

    /// `@query-param` for the query parameter whose decoded name is `name`; the identifier
    /// carries the encoded name (§2.2.8).
    pub fn query_param(name: &str) -> Result<Self, Error> {
        let mut params = Parameters::new();
        params
            .push("name", BareItem::String(query::encode(name.as_bytes())))
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        Self::build(Derived::QueryParam.name().to_owned(), params)
    }

    /// An identifier without parameters whose name the crate itself supplies (a known derived
    /// name or a field name constant), so it needs no validation.
    pub(crate) fn fixed(name: &'static str, kind: ComponentKind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            params: Parameters::new(),
            serialized: format!("\"{name}\""),
        }
    }

    /// Reads one member of a covered-components Inner List.
    pub fn from_item(item: &Item) -> Result<Self, Error> {
        let BareItem::String(name) = &item.bare else {
            return Err(Error::Malformed {
                what: "component identifier",
                reason: "not a string".into(),
            });
        };
        Self::build(name.clone(), item.params.clone())
    }

    fn build(name: String, params: Parameters) -> Result<Self, Error> {
        let item = Item {
            bare: BareItem::String(name.clone()),
            params: params.clone(),
        };
        let serialized = sf::serialize_item(&item).map_err(|e| Error::Malformed {
            what: "component identifier",
            reason: e.to_string(),
        })?;
        let kind = if name.starts_with('@') {
            match Derived::from_name(&name) {
                Some(d) => ComponentKind::Derived(d),
                // `@status` is response-only; `@signature-params` must never be listed (§2.3);
                // anything else is unknown. All are errors (§2.5).
                None => return Err(Error::UnsupportedComponent(serialized)),
            }
        } else {
            if !is_field_name(&name) {
                return Err(Error::Malformed {
                    what: "component identifier",
                    reason: format!("{serialized} is not a lowercase field name"),
                });
            }
            ComponentKind::Field
        };
        let params_ok = match kind {
            ComponentKind::Derived(Derived::QueryParam) => {
                params.len() == 1 && matches!(params.get("name"), Some(BareItem::String(_)))
            }
            _ => params.is_empty(),
        };
        if !params_ok {
            return Err(Error::UnsupportedComponent(serialized));
        }
        Ok(Self {
            name,
            kind,
            params,
            serialized,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> ComponentKind {
        self.kind
    }

    pub fn params(&self) -> &Parameters {
        &self.params
    }

    /// The strict serialisation, e.g. `"@query-param";name="Pet"`.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// As an Item, for the covered-components Inner List.
    pub fn to_item(&self) -> Item {
        Item {
            bare: BareItem::String(self.name.clone()),
            params: self.params.clone(),
        }
    }

    /// The encoded name of a `@query-param` component.
    pub(crate) fn query_param_name(&self) -> Option<&str> {
        match self.params.get("name") {
            Some(BareItem::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// Same component (§2: parameter order does not matter when comparing identifiers).
impl PartialEq for ComponentId {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.params.len() == other.params.len()
            && self
                .params
                .iter()
                .all(|(k, v)| other.params.get(k) == Some(v))
    }
}

impl Eq for ComponentId {}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

/// Parses either a bare name (`@method`, `content-digest`) or a serialised identifier
/// (`"@query-param";name="Pet"`), for CLI flags and configuration.
impl FromStr for ComponentId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if s.starts_with('"') {
            let item =
                sf::parse_item(s).map_err(|e| Error::malformed("component identifier", e))?;
            Self::from_item(&item)
        } else {
            Self::new(s)
        }
    }
}

/// RFC 9110 field-name (a token), lowercase as RFC 9421 §2.1 requires.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|c| sf::is_tchar(c) && !c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_serialises() {
        let c: ComponentId = "@method".parse().unwrap();
        assert_eq!(c.as_str(), r#""@method""#);
        assert_eq!(c.kind(), ComponentKind::Derived(Derived::Method));
        let c: ComponentId = "Content-Digest".parse().unwrap();
        assert_eq!(c.as_str(), r#""content-digest""#);
        assert_eq!(c.kind(), ComponentKind::Field);
        let c: ComponentId = r#""@query-param";name="Pet""#.parse().unwrap();
        assert_eq!(c.query_param_name(), Some("Pet"));
        assert_eq!(c, ComponentId::query_param("Pet").unwrap());
        assert_eq!(
            ComponentId::query_param("fa\u{e7}ade\": ")
                .unwrap()
                .as_str(),
            r#""@query-param";name="fa%C3%A7ade%22%3A%20""#
        );
    }

    #[test]
    fn refuses_unknown_and_unsupported() {
        let code = |s: &str| s.parse::<ComponentId>().unwrap_err().code();
        assert_eq!(code("@status"), "unsupported-component");
        assert_eq!(code("@signature-params"), "unsupported-component");
        assert_eq!(code("@nonsense"), "unsupported-component");
        assert_eq!(code(r#""@method";req"#), "unsupported-component");
        assert_eq!(code(r#""content-type";sf"#), "unsupported-component");
        assert_eq!(code(r#""example-dict";key="a""#), "unsupported-component");
        assert_eq!(code(r#""@query-param""#), "unsupported-component");
        assert_eq!(code(r#""@query-param";name=tok"#), "unsupported-component");
        assert_eq!(code(r#""Content-Type""#), "malformed");
        assert_eq!(code(r#""bad name""#), "malformed");
        assert_eq!(code(""), "malformed");
    }
}
