//! The signature base (RFC 9421 §2.5): one `"<component>": <value>` line per covered component,
//! then the `"@signature-params"` line. The same function serves signer and verifier, so the two
//! cannot drift apart.

use crate::component::{ComponentId, ComponentKind, Derived};
use crate::error::Error;
use crate::message::HttpRequest;
use crate::params::SignatureInput;
use crate::query;

/// Builds the signature base for `input` over `request`.
///
/// Fails if a component cannot be derived: an absent header field, an absent or repeated
/// `@query-param`, or a value with characters a signature base cannot hold.
pub fn signature_base<R: HttpRequest + ?Sized>(
    request: &R,
    input: &SignatureInput,
) -> Result<String, Error> {
    let mut out = String::new();
    for component in input.components() {
        let value = component_value(request, component)?;
        out.push_str(component.as_str());
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str("\"@signature-params\": ");
    out.push_str(input.as_str());
    Ok(out)
}

/// The canonical value of one component.
pub fn component_value<R: HttpRequest + ?Sized>(
    request: &R,
    component: &ComponentId,
) -> Result<String, Error> {
    let unavailable = |reason: &str| Error::ComponentUnavailable {
        component: component.to_string(),
        reason: reason.to_owned(),
    };
    let target = request.target_uri();
    let value = match component.kind() {
        ComponentKind::Derived(Derived::Method) => {
            let m = request.method();
            if m.is_empty() || !m.bytes().all(crate::sf::is_tchar) {
                return Err(unavailable("method is not a token"));
            }
            m.to_owned()
        }
        ComponentKind::Derived(Derived::TargetUri) => target.to_string(),
        ComponentKind::Derived(Derived::Authority) => target.authority().to_owned(),
        ComponentKind::Derived(Derived::Scheme) => target.scheme().to_owned(),
        // Origin form only: a server never sees the absolute, authority or asterisk forms
        // for requests it handles itself.
        ComponentKind::Derived(Derived::RequestTarget) => match target.query() {
            Some(q) => format!("{}?{q}", target.path()),
            None => target.path().to_owned(),
        },
        ComponentKind::Derived(Derived::Path) => target.path().to_owned(),
        // §2.2.7: an absent query signs as a lone "?".
        ComponentKind::Derived(Derived::Query) => format!("?{}", target.query().unwrap_or("")),
        ComponentKind::Derived(Derived::QueryParam) => {
            let wanted = component
                .query_param_name()
                .ok_or_else(|| unavailable("no name parameter"))?;
            let pairs = query::parse(target.query().unwrap_or(""));
            let mut matches = pairs
                .iter()
                .filter(|(name, _)| query::encode(name.as_bytes()) == wanted);
            let (_, value) = matches
                .next()
                .ok_or_else(|| unavailable("query parameter absent"))?;
            // §2.2.8: a repeated parameter must not be signed individually.
            if matches.next().is_some() {
                return Err(unavailable("query parameter repeated"));
            }
            query::encode(value.as_bytes())
        }
        ComponentKind::Field => {
            let lines = request.field_values(component.name());
            if lines.is_empty() {
                return Err(unavailable("header field absent"));
            }
            let values: Vec<String> = lines.iter().map(|l| canonical_line(l)).collect();
            values.join(", ")
        }
    };
    // §2.5 step 4 and §2.1: ASCII only, no newlines; HTAB is legal inside a field value.
    if value
        .bytes()
        .any(|b| !(b == b'\t' || (b' '..=b'~').contains(&b)))
    {
        return Err(unavailable("value has control or non-ASCII characters"));
    }
    Ok(value)
}

/// §2.1 steps 2-3: replace obsolete line folding with one space, trim surrounding whitespace.
fn canonical_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(nl) = rest.find('\n') {
        let (before, after) = rest.split_at(nl);
        let after = &after[1..];
        let continued = after.trim_start_matches([' ', '\t']);
        if continued.len() == after.len() {
            // A newline not followed by whitespace is not a fold; keep it so the value is
            // refused by the character check instead of silently rewritten.
            out.push_str(before);
            out.push('\n');
        } else {
            out.push_str(before.trim_end_matches(['\r', ' ', '\t']));
            out.push(' ');
        }
        rest = continued;
    }
    out.push_str(rest);
    out.trim_matches([' ', '\t']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::RequestParts;

    fn value(req: &RequestParts, component: &str) -> Result<String, Error> {
        component_value(req, &component.parse().unwrap())
    }

    #[test]
    fn field_canonicalisation() {
        // RFC 9421 §2.1 examples.
        let req = RequestParts::new("GET", "https://www.example.com/")
            .unwrap()
            .with_header("X-OWS-Header", "   Leading and trailing whitespace.   ")
            .with_header("X-Obs-Fold-Header", "Obsolete\r\n    line folding.")
            .with_header("Cache-Control", "max-age=60")
            .with_header("Cache-Control", "   must-revalidate")
            .with_header("X-Empty-Header", "")
            .with_header("X-Bad", "a\nb")
            .with_header("X-Utf8", "caf\u{e9}");
        assert_eq!(
            value(&req, "x-ows-header").unwrap(),
            "Leading and trailing whitespace."
        );
        assert_eq!(
            value(&req, "x-obs-fold-header").unwrap(),
            "Obsolete line folding."
        );
        assert_eq!(
            value(&req, "cache-control").unwrap(),
            "max-age=60, must-revalidate"
        );
        assert_eq!(value(&req, "x-empty-header").unwrap(), "");
        for bad in ["x-bad", "x-utf8", "absent"] {
            assert_eq!(
                value(&req, bad).unwrap_err().code(),
                "component-unavailable"
            );
        }
    }

    #[test]
    fn derived_components() {
        // RFC 9421 §2.2 examples.
        let req = RequestParts::new("POST", "https://www.example.com/path?param=value").unwrap();
        assert_eq!(value(&req, "@method").unwrap(), "POST");
        assert_eq!(
            value(&req, "@target-uri").unwrap(),
            "https://www.example.com/path?param=value"
        );
        assert_eq!(value(&req, "@authority").unwrap(), "www.example.com");
        assert_eq!(value(&req, "@scheme").unwrap(), "https");
        assert_eq!(value(&req, "@request-target").unwrap(), "/path?param=value");
        assert_eq!(value(&req, "@path").unwrap(), "/path");
        assert_eq!(value(&req, "@query").unwrap(), "?param=value");

        let req = RequestParts::new("GET", "http://www.example.com/path").unwrap();
        assert_eq!(value(&req, "@query").unwrap(), "?");
        assert_eq!(value(&req, "@scheme").unwrap(), "http");
        let req = RequestParts::new(
            "GET",
            "https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman",
        )
        .unwrap();
        assert_eq!(
            value(&req, "@query").unwrap(),
            "?param=value&foo=bar&baz=bat%2Dman"
        );
        let req = RequestParts::new("bad method", "https://x/").unwrap();
        assert!(value(&req, "@method").is_err());
    }

    #[test]
    fn query_params() {
        // RFC 9421 §2.2.8 examples.
        let req = RequestParts::new(
            "GET",
            "https://www.example.com/path?param=value&foo=bar&baz=batman&qux=",
        )
        .unwrap();
        let qp = |name: &str| component_value(&req, &ComponentId::query_param(name).unwrap());
        assert_eq!(qp("baz").unwrap(), "batman");
        assert_eq!(qp("qux").unwrap(), "");
        assert_eq!(qp("param").unwrap(), "value");
        assert_eq!(qp("absent").unwrap_err().code(), "component-unavailable");

        let req = RequestParts::new(
            "GET",
            "https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value&\
             bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
        )
        .unwrap();
        let qp = |id: &str| value(&req, id);
        assert_eq!(
            qp(r#""@query-param";name="var""#).unwrap(),
            "this%20is%20a%20big%0Amultiline%20value"
        );
        assert_eq!(
            qp(r#""@query-param";name="bar""#).unwrap(),
            "with%20plus%20whitespace"
        );
        assert_eq!(
            qp(r#""@query-param";name="fa%C3%A7ade%22%3A%20""#).unwrap(),
            "something"
        );

        let req = RequestParts::new("GET", "https://x/?a=1&a=2").unwrap();
        assert_eq!(
            value(&req, r#""@query-param";name="a""#)
                .unwrap_err()
                .code(),
            "component-unavailable"
        );
    }
}
