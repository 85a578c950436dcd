//! The client's address: the socket peer, or the last hop a trusted proxy appended to
//! `X-Forwarded-For`. The header is read only when the caller established that the request came
//! through our proxy; otherwise anyone could pick their own rate-limit bucket.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use http::HeaderMap;

/// The client address for `peer`, honouring `X-Forwarded-For` only when `proxy_trusted`.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, proxy_trusted: bool) -> IpAddr {
    if proxy_trusted
        && let Some(ip) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return ip;
    }
    peer.ip()
}

/// The key one client is limited under: IPv4 addresses as they are, IPv6 by /64, since one
/// host commonly holds a whole /64.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn forwarded_for_needs_trust() {
        let peer: SocketAddr = ([10, 0, 0, 1], 5000).into();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 203.0.113.9"),
        );
        assert_eq!(client_ip(peer, &h, false), peer.ip());
        assert_eq!(
            client_ip(peer, &h, true),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        h.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_ip(peer, &h, true), peer.ip());
    }

    #[test]
    fn ipv6_is_keyed_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(rate_key(a), rate_key(b));
        assert_ne!(rate_key(a), rate_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(rate_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }
}
