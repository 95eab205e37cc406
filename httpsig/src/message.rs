//! The request abstraction the signature base is computed from.
//!
//! The Worker implements [`HttpRequest`] over its runtime request (or fills a
//! [`RequestParts`], which is what the CLI and the tests do). Only what RFC 9421 needs for
//! requests is asked for: the method, the target URI and header lookup.

use std::borrow::Cow;

use crate::error::Error;

/// What the signature base needs from a request.
pub trait HttpRequest {
    /// The method, exactly as sent (RFC 9421 §2.2.1: case is not changed).
    fn method(&self) -> &str;

    /// The absolute target URI.
    fn target_uri(&self) -> &TargetUri;

    /// The values of every header field line called `name` (given lowercase), in message order;
    /// empty if there is none. A runtime that only exposes the already-combined value, like
    /// Fetch's `Headers.get`, returns that one value: combining is idempotent.
    fn field_values(&self, name: &str) -> Vec<Cow<'_, str>>;
}

/// An absolute `http`/`https` target URI split into the parts RFC 9421 derives components from.
///
/// Normalised as RFC 9421 §2.2.3-§2.2.4 ask (scheme and host lowercase, default port dropped);
/// the path and query are kept exactly as received, percent-encoding untouched (§2.2.6-§2.2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUri {
    scheme: String,
    authority: String,
    path: String,
    query: Option<String>,
}

impl TargetUri {
    /// Parses an absolute URI such as `https://api.example/v1/x?y=1`. A fragment is dropped
    /// (it is never part of a request target). Userinfo, whitespace, control and non-ASCII
    /// characters are refused: they cannot appear in a request target as sent on the wire.
    pub fn parse(uri: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::InvalidTargetUri(format!("{why}: {uri:?}"));
        if uri.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(bad("whitespace, control or non-ASCII character"));
        }
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| bad("not absolute"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(bad("scheme is not http or https"));
        }
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(auth_end);
        let authority =
            normalize_authority(authority, &scheme).ok_or_else(|| bad("bad authority"))?;
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (path_and_query, None),
        };
        // RFC 9110 §4.2.3: an empty path is "/".
        let path = if path.is_empty() { "/" } else { path }.to_owned();
        Ok(Self {
            scheme,
            authority,
            path,
            query,
        })
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Host (lowercase) and port if not the scheme's default.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Absolute path, never empty, percent-encoding as received.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query without its `?`; `None` if the URI has no `?` at all.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

impl std::fmt::Display for TargetUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        Ok(())
    }
}

/// Lowercases the host and drops an empty or default port; `None` if the authority is empty,
/// has userinfo, or has a non-numeric port.
fn normalize_authority(authority: &str, scheme: &str) -> Option<String> {
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = if authority.starts_with('[') {
        // IP literal: the port, if any, follows the closing bracket.
        let close = authority.find(']')?;
        let (host, after) = authority.split_at(close + 1);
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || (!host.starts_with('[') && host.contains([':', '[', ']'])) {
        return None;
    }
    let mut out = host.to_ascii_lowercase();
    match port {
        None | Some("") => {}
        Some(p) => {
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u16 = p.parse().ok()?;
            let default = if scheme == "https" { 443 } else { 80 };
            if n != default {
                out.push(':');
                out.push_str(&n.to_string());
            }
        }
    }
    Some(out)
}

/// An owned request: what the CLI builds before sending, and what a server can fill from any
/// runtime. Header names are stored lowercase; repeated names keep their order.
#[derive(Debug, Clone)]
pub struct RequestParts {
    method: String,
    target: TargetUri,
    headers: Vec<(String, String)>,
}

impl RequestParts {
    pub fn new(method: impl Into<String>, target_uri: &str) -> Result<Self, Error> {
        Ok(Self {
            method: method.into(),
            target: TargetUri::parse(target_uri)?,
            headers: Vec::new(),
        })
    }

    /// Appends a header field line (a repeated name adds another line, as on the wire).
    pub fn push_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
    }

    /// Builder form of [`push_header`](Self::push_header).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.push_header(name, value);
        self
    }

    /// Removes every line of a header (used to replace `Signature*` when re-signing).
    pub fn remove_header(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
    }

    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl HttpRequest for RequestParts {
    fn method(&self) -> &str {
        &self.method
    }

    fn target_uri(&self) -> &TargetUri {
        &self.target
    }

    fn field_values(&self, name: &str) -> Vec<Cow<'_, str>> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| Cow::Borrowed(v.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_normalises() {
        let t = TargetUri::parse("HTTPS://WWW.Example.COM:443/a%2Fb/?x=1&y=%41#frag").unwrap();
        assert_eq!(t.scheme(), "https");
        assert_eq!(t.authority(), "www.example.com");
        assert_eq!(t.path(), "/a%2Fb/");
        assert_eq!(t.query(), Some("x=1&y=%41"));
        assert_eq!(t.to_string(), "https://www.example.com/a%2Fb/?x=1&y=%41");

        let t = TargetUri::parse("http://example.com:8080").unwrap();
        assert_eq!(
            (t.authority(), t.path(), t.query()),
            ("example.com:8080", "/", None)
        );
        let t = TargetUri::parse("http://[2001:DB8::1]:80?").unwrap();
        assert_eq!(
            (t.authority(), t.path(), t.query()),
            ("[2001:db8::1]", "/", Some(""))
        );
        assert_eq!(TargetUri::parse("https://h:/p").unwrap().authority(), "h");
    }

    #[test]
    fn refuses_unusable_uris() {
        for bad in [
            "/relative",
            "ftp://example.com/",
            "https:///path",
            "https://user@example.com/",
            "https://example.com:port/",
            "https://example.com:99999/",
            "https://exa mple.com/",
            "https://example.com/caf\u{e9}",
            "https://[::1/",
            "https://a:b:c/",
        ] {
            assert!(TargetUri::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn request_parts_lookup() {
        let r = RequestParts::new("POST", "https://example.com/")
            .unwrap()
            .with_header("Cache-Control", "max-age=60")
            .with_header("X-Other", "1")
            .with_header("cache-control", "must-revalidate");
        assert_eq!(
            r.field_values("cache-control"),
            ["max-age=60", "must-revalidate"]
        );
        assert!(r.field_values("absent").is_empty());
    }
}
