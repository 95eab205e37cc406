//! The `Signature-Input` and `Signature` fields (RFC 9421 §4.1-§4.2): two Dictionaries keyed
//! by signature label, which must name the same labels.

use crate::error::Error;
use crate::message::HttpRequest;
use crate::params::SignatureInput;
use crate::sf::{self, BareItem, Dictionary, Member};

pub const SIGNATURE_INPUT: &str = "signature-input";
pub const SIGNATURE: &str = "signature";

/// The signatures a request carries, parsed but not yet checked.
#[derive(Debug, Clone)]
pub struct MessageSignatures {
    inputs: Dictionary,
    signatures: Dictionary,
}

impl MessageSignatures {
    /// Reads both fields (several lines of one field are combined, RFC 9110 §5.3).
    pub fn from_request<R: HttpRequest + ?Sized>(request: &R) -> Result<Self, Error> {
        let inputs = read(request, SIGNATURE_INPUT, "Signature-Input")?;
        let signatures = read(request, SIGNATURE, "Signature")?;
        // §4: a label in one field but not in the other is an error.
        for (label, other) in [
            (
                inputs.keys().find(|l| signatures.get(l).is_none()),
                "Signature",
            ),
            (
                signatures.keys().find(|l| inputs.get(l).is_none()),
                "Signature-Input",
            ),
        ] {
            if let Some(label) = label {
                return Err(Error::SignatureNotFound(format!(
                    "`{label}` has no {other} member"
                )));
            }
        }
        Ok(Self { inputs, signatures })
    }

    /// Labels in `Signature-Input` order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.inputs.keys()
    }

    /// The metadata and signature bytes under `label`.
    pub fn get(&self, label: &str) -> Result<(SignatureInput, Vec<u8>), Error> {
        let not_found = || Error::SignatureNotFound(format!("no signature labelled `{label}`"));
        let input = match self.inputs.get(label).ok_or_else(not_found)? {
            Member::InnerList(list) => SignatureInput::from_inner_list(list)?,
            Member::Item(_) => {
                return Err(Error::Malformed {
                    what: "Signature-Input",
                    reason: format!("`{label}` is not an inner list"),
                })
            }
        };
        let signature = match self.signatures.get(label).ok_or_else(not_found)? {
            Member::Item(sf::Item {
                bare: BareItem::ByteSeq(bytes),
                ..
            }) => bytes.clone(),
            _ => {
                return Err(Error::Malformed {
                    what: "Signature",
                    reason: format!("`{label}` is not a byte sequence"),
                })
            }
        };
        Ok((input, signature))
    }
}

fn read<R: HttpRequest + ?Sized>(
    request: &R,
    name: &str,
    display: &'static str,
) -> Result<Dictionary, Error> {
    // Empty lines carry nothing; joining them would leave a stray comma.
    let lines: Vec<_> = request
        .field_values(name)
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let joined = lines.join(", ");
    let dict = sf::parse_dictionary(&joined).map_err(|e| Error::malformed(display, e))?;
    // An absent field and an empty one mean the same: no signature.
    if dict.is_empty() {
        return Err(Error::MissingHeader(display));
    }
    Ok(dict)
}

/// `label=<inner list>`, the `Signature-Input` value for one signature.
pub fn signature_input_value(label: &str, input: &SignatureInput) -> Result<String, Error> {
    check_label(label)?;
    Ok(format!("{label}={}", input.as_str()))
}

/// `label=:<base64>:`, the `Signature` value for one signature.
pub fn signature_value(label: &str, signature: &[u8]) -> Result<String, Error> {
    check_label(label)?;
    let mut dict = Dictionary::default();
    let member = Member::Item(sf::Item {
        bare: BareItem::ByteSeq(signature.to_vec()),
        params: sf::Parameters::new(),
    });
    dict.push(label, member)
        .and_then(|()| sf::serialize_dictionary(&dict))
        .map_err(|e| Error::InvalidInput(e.to_string()))
}

fn check_label(label: &str) -> Result<(), Error> {
    if sf::is_key(label) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "signature label {label:?} is not a structured-field key"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::RequestParts;

    fn req(input: Option<&str>, sig: Option<&str>) -> RequestParts {
        let mut r = RequestParts::new("GET", "https://example.com/").unwrap();
        if let Some(i) = input {
            r.push_header("Signature-Input", i);
        }
        if let Some(s) = sig {
            r.push_header("Signature", s);
        }
        r
    }

    #[test]
    fn reads_labels_across_lines() {
        let mut r = req(Some(r#"a=("@method");created=1"#), Some("a=:AAAA:"));
        r.push_header("Signature-Input", "b=()");
        r.push_header("Signature", "b=:AQ==:");
        let sigs = MessageSignatures::from_request(&r).unwrap();
        assert_eq!(sigs.labels().collect::<Vec<_>>(), ["a", "b"]);
        let (input, bytes) = sigs.get("a").unwrap();
        assert_eq!(input.as_str(), r#"("@method");created=1"#);
        assert_eq!(bytes, [0, 0, 0]);
        assert_eq!(sigs.get("c").unwrap_err().code(), "signature-not-found");
    }

    #[test]
    fn errors() {
        let code = |i, s| {
            MessageSignatures::from_request(&req(i, s))
                .unwrap_err()
                .code()
        };
        assert_eq!(code(None, Some("a=:AA==:")), "missing-header");
        assert_eq!(code(Some("a=()"), None), "missing-header");
        assert_eq!(code(Some(""), Some("a=:AA==:")), "missing-header");
        assert_eq!(
            code(Some("a=(),b=()"), Some("a=:AA==:")),
            "signature-not-found"
        );
        assert_eq!(
            code(Some("a=()"), Some("a=:AA==:, b=:AA==:")),
            "signature-not-found"
        );
        assert_eq!(code(Some("a=(), a=()"), Some("a=:AA==:")), "malformed");
        let sigs = MessageSignatures::from_request(&req(Some("a=1"), Some("a=2"))).unwrap();
        assert_eq!(sigs.get("a").unwrap_err().code(), "malformed");
        let sigs = MessageSignatures::from_request(&req(Some("a=()"), Some("a=2"))).unwrap();
        assert_eq!(sigs.get("a").unwrap_err().code(), "malformed");
    }

    #[test]
    fn serialises_values() {
        let input = SignatureInput::new(vec![], Default::default()).unwrap();
        assert_eq!(signature_input_value("sig1", &input).unwrap(), "sig1=()");
        assert_eq!(signature_value("sig1", &[1, 2, 3]).unwrap(), "sig1=:AQID:");
        assert!(signature_value("Sig1", &[]).is_err());
    }
}
