//! Which webhook destination URLs fairtrain will call: the pure half of the
//! SSRF guard the spec asks for ("prevent the webhooks from calling into
//! internal networks and services").
//!
//! A URL is accepted only if it is `http` or `https` with a host that is a
//! public DNS name or a public IP address. Refused: loopback (127.0.0.0/8,
//! ::1, `localhost`), private (10/8, 172.16/12, 192.168/16, fc00::/7),
//! link-local (169.254/16, fe80::/10), cloud metadata endpoints
//! (169.254.169.254, 169.254.170.2, 100.100.100.200, 168.63.129.16,
//! fd00:ec2::254, `metadata.google.internal`, …), shared address space
//! (100.64/10, CGNAT), "this network" (0/8, ::), multicast, broadcast,
//! documentation / benchmarking / reserved ranges, and the same addresses
//! inside IPv6 (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4).
//! `allow_loopback` lets development point webhooks at `127.0.0.1`.
//!
//! The URL is split here with a small parser that refuses, rather than
//! guesses at, anything where URL parsers disagree (the Worker's `fetch` uses
//! the WHATWG URL Standard): backslashes, whitespace and control characters,
//! user-info (`user@host`), percent-encoded or non-ASCII hosts, IPv6 zone ids,
//! fragments. Hosts that the URL Standard reads as IPv4 numbers (`2130706433`,
//! `0x7f.1`, `0177.0.0.1`, `127.1`) are decoded the same way, so they cannot
//! slip past as names.
//!
//! What this cannot see: what a public name resolves to (DNS rebinding), and
//! where redirects lead. Deliveries must not follow redirects (the spec treats
//! 3xx as failure), and name resolution is the network layer's to police.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest destination URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// What kind of host a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostClass {
    /// A public address or DNS name.
    Public,
    /// 127.0.0.0/8, ::1, `localhost`, `*.localhost`.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, private-use names
    /// (`.internal`, `.local`, `.home.arpa`, single-label names).
    Private,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// Cloud instance-metadata endpoints.
    Metadata,
    /// 100.64.0.0/10 (carrier-grade NAT).
    SharedAddressSpace,
    /// 0.0.0.0/8 and ::.
    ThisNetwork,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// Documentation, benchmarking, future-use and other special ranges.
    Reserved,
}

impl HostClass {
    pub fn is_public(&self) -> bool {
        *self == HostClass::Public
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            HostClass::Public => "public",
            HostClass::Loopback => "loopback",
            HostClass::Private => "private",
            HostClass::LinkLocal => "link-local",
            HostClass::Metadata => "metadata",
            HostClass::SharedAddressSpace => "shared address space",
            HostClass::ThisNetwork => "this network",
            HostClass::Multicast => "multicast",
            HostClass::Broadcast => "broadcast",
            HostClass::Reserved => "reserved",
        }
    }
}

impl fmt::Display for HostClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which destinations to accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DestinationPolicy {
    /// Accept loopback hosts (development only).
    pub allow_loopback: bool,
    /// Refuse `http://` (the spec: "it may be advisable to ensure that all
    /// webhook endpoints are HTTPS").
    pub require_https: bool,
}

impl DestinationPolicy {
    /// Public hosts only, HTTPS only.
    pub const PRODUCTION: DestinationPolicy = DestinationPolicy {
        allow_loopback: false,
        require_https: true,
    };
    /// Also loopback, and plain HTTP: for `wrangler dev` and tests.
    pub const DEVELOPMENT: DestinationPolicy = DestinationPolicy {
        allow_loopback: true,
        require_https: false,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(&self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lower-cased, without a trailing dot.
    Domain(String),
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(name) => f.write_str(name),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

/// An accepted destination, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub scheme: Scheme,
    pub host: Host,
    /// The port given, if any.
    pub port: Option<u16>,
    /// Path and query, `/` if the URL had neither.
    pub path_and_query: String,
    pub class: HostClass,
}

impl Destination {
    /// The normalised URL to call: lower-case scheme and host, IPv4 in
    /// dotted-decimal, default port dropped.
    pub fn url(&self) -> String {
        let port = match self.port {
            Some(p) if p != self.scheme.default_port() => format!(":{p}"),
            _ => String::new(),
        };
        format!(
            "{}://{}{}{}",
            self.scheme.as_str(),
            self.host,
            port,
            self.path_and_query
        )
    }
}

/// Why a destination was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("not an acceptable URL: {0}")]
    BadUrl(&'static str),
    #[error("only http and https destinations are allowed")]
    Scheme,
    #[error("only https destinations are allowed")]
    HttpsRequired,
    #[error("the destination host is {0}, not public")]
    Refused(HostClass),
}

/// Parses `url` and decides whether webhooks may be sent there.
pub fn check_destination(
    url: &str,
    policy: &DestinationPolicy,
) -> Result<Destination, DestinationError> {
    let dest = parse(url)?;
    if policy.require_https && dest.scheme != Scheme::Https {
        return Err(DestinationError::HttpsRequired);
    }
    match dest.class {
        HostClass::Public => Ok(dest),
        HostClass::Loopback if policy.allow_loopback => Ok(dest),
        class => Err(DestinationError::Refused(class)),
    }
}

/// Splits and classifies a URL without applying a policy.
pub fn parse(url: &str) -> Result<Destination, DestinationError> {
    use DestinationError::BadUrl;
    if url.len() > MAX_URL_LEN {
        return Err(BadUrl("longer than 2048 bytes"));
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BadUrl("whitespace, control or non-ASCII characters"));
    }
    if url.contains('\\') {
        return Err(BadUrl("backslash"));
    }
    let (scheme, rest) = url.split_once("://").ok_or(BadUrl("no `scheme://`"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ if !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            return Err(DestinationError::Scheme)
        }
        _ => return Err(BadUrl("no `scheme://`")),
    };
    if rest.contains('#') {
        return Err(BadUrl("fragment"));
    }
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path_and_query = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    if authority.contains('@') {
        return Err(BadUrl("user-info in the URL"));
    }
    if authority.contains('%') {
        return Err(BadUrl("percent-encoded host"));
    }

    let (host_text, port_text) = if let Some(inner) = authority.strip_prefix('[') {
        let (v6, after) = inner.split_once(']').ok_or(BadUrl("unclosed `[`"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(BadUrl("junk after `]`"))?),
        };
        (Err(v6), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (Ok(h), Some(p)),
            None => (Ok(authority), None),
        }
    };
    let port = match port_text {
        None => None,
        Some(p) => {
            let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u16>() {
                Ok(n) if ok && n != 0 => Some(n),
                _ => return Err(BadUrl("port")),
            }
        }
    };

    let host = match host_text {
        Err(v6) => Host::Ip(IpAddr::V6(
            v6.parse::<Ipv6Addr>().map_err(|_| BadUrl("IPv6 address"))?,
        )),
        Ok(h) => parse_host(h)?,
    };
    let class = match &host {
        Host::Ip(ip) => classify_ip(*ip),
        Host::Domain(name) => classify_domain(name),
    };
    Ok(Destination {
        scheme,
        host,
        port,
        path_and_query,
        class,
    })
}

/// A host that is not an IPv6 literal: an IPv4 address in any form the URL
/// Standard accepts, or a DNS name.
fn parse_host(text: &str) -> Result<Host, DestinationError> {
    use DestinationError::BadUrl;
    if text.is_empty() {
        return Err(BadUrl("empty host"));
    }
    let lower = text.to_ascii_lowercase();
    if ends_in_a_number(&lower) {
        return parse_whatwg_ipv4(&lower)
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .ok_or(BadUrl("IPv4 address"));
    }
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    let labels_ok = name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !labels_ok {
        return Err(BadUrl("host name"));
    }
    Ok(Host::Domain(name.to_string()))
}

/// The URL Standard's "ends in a number" check: the last label (ignoring
/// one trailing dot) is decimal digits or `0x` + hex digits.
fn ends_in_a_number(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    last.strip_prefix("0x")
        .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The URL Standard's IPv4 parser: 1-4 parts, each decimal, octal (leading
/// `0`) or hex (`0x`); the last part fills the remaining bytes.
fn parse_whatwg_ipv4(host: &str) -> Option<Ipv4Addr> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut numbers = Vec::with_capacity(4);
    for part in &parts {
        if part.is_empty() {
            return None;
        }
        let (digits, radix) = if let Some(hex) = part.strip_prefix("0x") {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (*part, 10)
        };
        if !digits.bytes().all(|b| (b as char).is_digit(radix)) {
            return None;
        }
        // Twelve significant digits in any radix already exceed 32 bits.
        let significant = digits.trim_start_matches('0');
        let n = if significant.is_empty() {
            0
        } else if significant.len() > 12 {
            u64::MAX
        } else {
            u64::from_str_radix(significant, radix).ok()?
        };
        numbers.push(n);
    }
    let last = numbers.pop()?;
    if numbers.iter().any(|&n| n > 255) {
        return None;
    }
    if last >= 256u64.pow(4 - numbers.len() as u32) {
        return None;
    }
    let mut value = last;
    for (i, n) in numbers.iter().enumerate() {
        value += n << (8 * (3 - i));
    }
    Some(Ipv4Addr::from(u32::try_from(value).ok()?))
}

/// Classifies an IP address (IPv6 forms that carry an IPv4 address are
/// judged by that address).
pub fn classify_ip(ip: IpAddr) -> HostClass {
    match ip {
        IpAddr::V4(v4) => classify_ipv4(v4),
        IpAddr::V6(v6) => classify_ipv6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

pub fn classify_ipv4(ip: Ipv4Addr) -> HostClass {
    use HostClass::*;
    const METADATA: [[u8; 4]; 4] = [
        [169, 254, 169, 254], // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean…
        [169, 254, 170, 2],   // AWS ECS task metadata
        [100, 100, 100, 200], // Alibaba Cloud
        [168, 63, 129, 16],   // Azure WireServer
    ];
    if METADATA.iter().any(|m| ip.octets() == *m) {
        return Metadata;
    }
    let table: [([u8; 4], u32, HostClass); 17] = [
        ([0, 0, 0, 0], 8, ThisNetwork),
        ([10, 0, 0, 0], 8, Private),
        ([100, 64, 0, 0], 10, SharedAddressSpace),
        ([127, 0, 0, 0], 8, Loopback),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([172, 16, 0, 0], 12, Private),
        ([192, 0, 0, 0], 24, Reserved),    // IETF protocol assignments
        ([192, 0, 2, 0], 24, Reserved),    // TEST-NET-1
        ([192, 31, 196, 0], 24, Reserved), // AS112
        ([192, 52, 193, 0], 24, Reserved), // AMT
        ([192, 88, 99, 0], 24, Reserved),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16, Private),
        ([198, 18, 0, 0], 15, Reserved),   // benchmarking
        ([198, 51, 100, 0], 24, Reserved), // TEST-NET-2
        ([203, 0, 113, 0], 24, Reserved),  // TEST-NET-3
        ([224, 0, 0, 0], 4, Multicast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    if ip == Ipv4Addr::BROADCAST {
        return Broadcast;
    }
    table
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, class)| *class)
        .unwrap_or(Public)
}

pub fn classify_ipv6(ip: Ipv6Addr) -> HostClass {
    use HostClass::*;
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() {
        return ThisNetwork;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    // AWS IMDS over IPv6.
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        return Metadata;
    }
    // ::ffff:a.b.c.d (IPv4-mapped): the IPv4 address itself.
    if s[..5] == [0; 5] && s[5] == 0xffff {
        return classify_ipv4(embedded(s[6], s[7]));
    }
    // ::a.b.c.d (IPv4-compatible, deprecated) and ::ffff:0:a.b.c.d (translated).
    if s[..6] == [0; 6] || (s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0) {
        return Reserved;
    }
    // 64:ff9b::/96, NAT64 of a public IPv4 address.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_ipv4(embedded(s[6], s[7]));
    }
    // 64:ff9b:1::/48, local-use NAT64.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        return Private;
    }
    // 2002::/16, 6to4: judged by the IPv4 address in bits 16-47.
    if s[0] == 0x2002 {
        return match classify_ipv4(embedded(s[1], s[2])) {
            Public => Public,
            _ => Reserved,
        };
    }
    match s[0] {
        0xff00..=0xffff => Multicast,
        0xfe80..=0xfebf => LinkLocal,
        0xfec0..=0xfeff => Private, // site-local (deprecated)
        0xfc00..=0xfdff => Private, // unique local
        // 2001::/23: IETF protocol assignments (Teredo, benchmarking, ORCHID…);
        // 2001:db8::/32 and 3fff::/20: documentation.
        0x2001 if s[1] < 0x0200 || s[1] == 0x0db8 => Reserved,
        0x3fff if s[1] < 0x1000 => Reserved,
        // Global unicast is 2000::/3; everything else is unassigned or special.
        0x2000..=0x3fff => Public,
        _ => Reserved,
    }
}

/// Classifies a DNS name (lower-case, no trailing dot) by what it names
/// without resolving it.
pub fn classify_domain(name: &str) -> HostClass {
    const METADATA_NAMES: [&str; 4] = [
        "metadata.google.internal",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
    ];
    if METADATA_NAMES.contains(&name) {
        return HostClass::Metadata;
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return HostClass::Loopback;
    }
    // Private-use names (RFC 6762 .local, RFC 8375 .home.arpa, ICANN's
    // .internal) and single-label names, which resolve through local search
    // domains, never to a public endpoint.
    const PRIVATE_SUFFIXES: [&str; 4] = [".internal", ".local", ".localdomain", ".home.arpa"];
    let bare = ["internal", "local", "localdomain"];
    if !name.contains('.')
        || bare.contains(&name)
        || PRIVATE_SUFFIXES.iter().any(|s| name.ends_with(s))
    {
        return HostClass::Private;
    }
    HostClass::Public
}

#[cfg(test)]
mod tests {
    use super::*;
    use HostClass::*;

    fn class_of(url: &str) -> HostClass {
        parse(url).unwrap_or_else(|e| panic!("{url}: {e}")).class
    }

    #[test]
    fn classification_table() {
        let table: &[(&str, HostClass)] = &[
            ("https://example.com/hook", Public),
            ("https://hooks.example.co.uk:8443/a?b=c", Public),
            ("http://93.184.216.34/", Public),
            ("http://[2606:2800:220:1:248:1893:25c8:1946]/", Public),
            ("http://8.8.8.8", Public),
            ("http://100.63.255.255/", Public),
            ("http://100.128.0.0/", Public),
            ("http://172.15.255.255/", Public),
            ("http://172.32.0.0/", Public),
            // Loopback.
            ("http://127.0.0.1:8787/", Loopback),
            ("http://127.255.255.254/", Loopback),
            ("http://[::1]:9000/", Loopback),
            ("http://localhost/", Loopback),
            ("http://LOCALHOST./", Loopback),
            ("http://api.localhost/", Loopback),
            // Private.
            ("http://10.0.0.1/", Private),
            ("http://172.16.0.1/", Private),
            ("http://172.31.255.255/", Private),
            ("http://192.168.1.1/", Private),
            ("http://[fc00::1]/", Private),
            ("http://[fd12:3456::1]/", Private),
            ("http://[fec0::1]/", Private),
            ("http://intranet/", Private),
            ("http://db.internal/", Private),
            ("http://printer.local/", Private),
            ("http://nas.home.arpa/", Private),
            // Link-local.
            ("http://169.254.1.1/", LinkLocal),
            ("http://[fe80::1]/", LinkLocal),
            ("http://[febf::1]/", LinkLocal),
            // Metadata.
            ("http://169.254.169.254/latest/meta-data/", Metadata),
            ("http://100.100.100.200/", Metadata),
            (
                "http://metadata.google.internal/computeMetadata/v1/",
                Metadata,
            ),
            ("http://metadata.google.internal./", Metadata),
            ("http://[fd00:ec2::254]/", Metadata),
            ("http://[::ffff:169.254.169.254]/", Metadata),
            ("http://169.254.170.2/v2/credentials", Metadata),
            ("http://168.63.129.16/", Metadata),
            // Shared address space (CGNAT).
            ("http://100.64.0.1/", SharedAddressSpace),
            ("http://100.127.255.255/", SharedAddressSpace),
            // This network.
            ("http://0.0.0.0/", ThisNetwork),
            ("http://0.1.2.3/", ThisNetwork),
            ("http://[::]/", ThisNetwork),
            // Multicast, broadcast.
            ("http://224.0.0.1/", Multicast),
            ("http://239.255.255.250/", Multicast),
            ("http://[ff02::1]/", Multicast),
            ("http://255.255.255.255/", Broadcast),
            // Reserved / documentation / benchmarking.
            ("http://192.0.2.1/", Reserved),
            ("http://198.51.100.7/", Reserved),
            ("http://203.0.113.9/", Reserved),
            ("http://198.18.0.1/", Reserved),
            ("http://240.0.0.1/", Reserved),
            ("http://[2001:db8::1]/", Reserved),
            ("http://[2001::1]/", Reserved),
            ("http://[100::1]/", Reserved),
            ("http://[::127.0.0.1]/", Reserved),
            // IPv4 inside IPv6.
            ("http://[::ffff:127.0.0.1]/", Loopback),
            ("http://[::ffff:7f00:1]/", Loopback),
            ("http://[::ffff:10.1.2.3]/", Private),
            ("http://[::ffff:8.8.8.8]/", Public),
            ("http://[64:ff9b::10.0.0.1]/", Private),
            ("http://[64:ff9b::8.8.8.8]/", Public),
            ("http://[2002:7f00:1::]/", Reserved),
            ("http://[2002:808:808::1]/", Public),
            // Other spellings of IPv4 that the WHATWG URL parser (fetch) accepts.
            ("http://2130706433/", Loopback),
            ("http://0x7f000001/", Loopback),
            ("http://0x7f.1/", Loopback),
            ("http://0177.0.0.1/", Loopback),
            ("http://127.1/", Loopback),
            ("http://127.0.1/", Loopback),
            ("http://127.0.0.1./", Loopback),
            ("http://0/", ThisNetwork),
            ("http://0xa9.0xfe.0xa9.0xfe/", Metadata),
            ("http://2852039166/", Metadata),
            ("http://012.1/", Private),
            ("http://1.2.3.0x/", Public),
            ("http://0000000000000000000000000000000177.1/", Loopback),
            ("http://0127.0.0.1/", Public), /* octal: 87.0.0.1 */
        ];
        for (url, expected) in table {
            assert_eq!(class_of(url), *expected, "{url}");
        }
    }

    #[test]
    fn policy() {
        let dev = DestinationPolicy::DEVELOPMENT;
        let prod = DestinationPolicy::PRODUCTION;
        let default = DestinationPolicy::default();
        assert!(check_destination("http://127.0.0.1:9000/hook", &dev).is_ok());
        assert!(check_destination("http://localhost:9000/hook", &dev).is_ok());
        assert!(check_destination("http://[::1]:9000/", &dev).is_ok());
        assert_eq!(
            check_destination("http://127.0.0.1:9000/hook", &default),
            Err(DestinationError::Refused(Loopback))
        );
        // allow_loopback is only loopback.
        assert_eq!(
            check_destination("http://10.0.0.1/", &dev),
            Err(DestinationError::Refused(Private))
        );
        assert_eq!(
            check_destination("http://169.254.169.254/", &dev),
            Err(DestinationError::Refused(Metadata))
        );
        assert_eq!(
            check_destination("http://example.com/", &prod),
            Err(DestinationError::HttpsRequired)
        );
        assert!(check_destination("https://example.com/", &prod).is_ok());
        assert!(check_destination("http://example.com/", &default).is_ok());
    }

    #[test]
    fn schemes() {
        for url in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://example.com/",
            "ws://example.com/",
            "javascript://example.com/",
        ] {
            assert_eq!(
                check_destination(url, &DestinationPolicy::default()),
                Err(DestinationError::Scheme),
                "{url}"
            );
        }
        assert!(
            check_destination("HTTPS://Example.COM/Path", &DestinationPolicy::default()).is_ok()
        );
    }

    #[test]
    fn refuses_ambiguous_urls() {
        for url in [
            "",
            "example.com",
            "http:example.com",
            "http:/example.com",
            "//example.com/",
            "http:///example.com",
            "http://",
            "http://:80/",
            "http://user:pass@example.com/",
            "http://example.com@127.0.0.1/",
            "http://127.0.0.1\\@example.com/",
            "http://example.com\\.127.0.0.1/",
            "http://exa mple.com/",
            "http://example.com/\n",
            " http://example.com/",
            "http://example.com\t/",
            "http://ex%61mple.com/",
            "http://127.0.0.%31/",
            "http://[fe80::1%25eth0]/",
            "http://[::1/",
            "http://[::1]x/",
            "http://[1.2.3.4]/",
            "http://example.com:/",
            "http://example.com:0/",
            "http://example.com:65536/",
            "http://example.com:+80/",
            "http://example.com/#frag",
            "http://exämple.com/",
            "http://a..b/",
            "http://-.example.com:80:80/",
            "http://256.0.0.1/",
            "http://1.2.3.4.5/",
            "http://0x100.0.0.1/",
            "http://08.0.0.1/",
            "http://4294967296/",
            "http://1.16777216/",
            "http://0x1000000000000000000000001/",
            "http://foo.123/",
        ] {
            assert!(
                matches!(
                    check_destination(url, &DestinationPolicy::DEVELOPMENT),
                    Err(DestinationError::BadUrl(_))
                ),
                "{url:?} -> {:?}",
                check_destination(url, &DestinationPolicy::DEVELOPMENT)
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(matches!(
            check_destination(&long, &DestinationPolicy::default()),
            Err(DestinationError::BadUrl(_))
        ));
    }

    #[test]
    fn normalised_url() {
        let d = check_destination(
            "HTTPS://Hooks.Example.com:443?x=1",
            &DestinationPolicy::default(),
        )
        .unwrap();
        assert_eq!(d.url(), "https://hooks.example.com/?x=1");
        assert_eq!(d.host, Host::Domain("hooks.example.com".into()));
        let d = check_destination("http://0x7f.1:8787/h", &DestinationPolicy::DEVELOPMENT).unwrap();
        assert_eq!(d.url(), "http://127.0.0.1:8787/h");
        let d = check_destination("http://[::1]:9/", &DestinationPolicy::DEVELOPMENT).unwrap();
        assert_eq!(d.url(), "http://[::1]:9/");
        assert_eq!(d.port, Some(9));
    }
}
