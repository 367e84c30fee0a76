//! Which outbound addresses a tenant may make the server call: no tenant may
//! point the server at localhost or a private network (SSRF).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

pub const MSG_ENDPOINT: &str =
    "La URL del PMS debe empezar por https:// y apuntar a un servidor público.";

/// Public unicast addresses only: not loopback, private, link-local,
/// shared (CGNAT), unspecified, broadcast, multicast or documentation ranges.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 address carries and leads to: mapped and
/// compatible (`::ffff:a.b.c.d`, `::a.b.c.d`, `::ffff:0:a.b.c.d`), NAT64
/// (`64:ff9b::/96`, `64:ff9b:1::/48`) and 6to4 (`2002::/16`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let high_zero = s[..5].iter().all(|&x| x == 0);
    if high_zero && (s[5] == 0xffff || s[5] == 0) {
        return Some(low);
    }
    if s[..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0 {
        return Some(low);
    }
    if (s[0] == 0x64 && s[1] == 0xff9b) && (s[2..6].iter().all(|&x| x == 0) || s[2] == 1) {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || (first == 0x2001 && (ip.segments()[1] == 0x0db8 || ip.segments()[1] == 0))
        || (first == 0x0100 && ip.segments()[1..4] == [0, 0, 0]))
}

/// Checks a PMS endpoint when it is saved. With `allow_private` (tests and
/// on-premises PMS) any http(s) URL passes.
pub fn check_endpoint(text: &str, allow_private: bool) -> Result<Url, &'static str> {
    let url = Url::parse(text).map_err(|_| MSG_ENDPOINT)?;
    if allow_private {
        return if matches!(url.scheme(), "https" | "http") && url.host().is_some() {
            Ok(url)
        } else {
            Err(MSG_ENDPOINT)
        };
    }
    if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
        return Err(MSG_ENDPOINT);
    }
    let public = match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name != "localhost" && !name.ends_with(".localhost") && name.contains('.')
        }
        Some(Host::Ipv4(ip)) => is_public_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_public_ip(IpAddr::V6(ip)),
        None => false,
    };
    if public { Ok(url) } else { Err(MSG_ENDPOINT) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_names_and_public_literals_pass() {
        for ok in [
            "https://login.smoobu.com",
            "https://api.beds24.com/v2",
            "https://93.184.216.34/api",
            "https://[2606:4700::1111]/",
        ] {
            assert!(check_endpoint(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://login.smoobu.com",
            "https://localhost",
            "https://api.localhost",
            "https://127.0.0.1",
            "https://10.1.2.3",
            "https://172.16.0.1",
            "https://192.168.1.1",
            "https://169.254.169.254/latest/meta-data",
            "https://0.0.0.0",
            "https://100.64.0.1",
            "https://[::1]",
            "https://[fd00::1]",
            "https://[fe80::1]",
            "https://[::ffff:127.0.0.1]",
            "https://[::127.0.0.1]",
            "https://[64:ff9b::10.0.0.5]",
            "https://[64:ff9b:1::a00:5]",
            "https://[2002:a00:1::]",
            "https://[::ffff:0:7f00:1]",
            "https://[fec0::1]",
            "https://[2001::1]",
            "https://[100::1]",
            "https://192.0.0.8",
            "https://2130706433",
            "https://0x7f.1",
            "https://intranet",
            "https://user:pw@login.smoobu.com",
            "ftp://login.smoobu.com",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(check_endpoint(bad, false).is_err(), "{bad}");
        }
        assert!(check_endpoint("http://127.0.0.1:8080", true).is_ok());
        assert!(check_endpoint("file:///etc/passwd", true).is_err());
    }
}
