//! The client address recorded in the audit and used by the sign-in rate limit.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::HeaderMap;
use shardscope::config::AuthConfig;

/// The peer's IP, or (only when the console sits behind a proxy, is configured to trust it, and
/// the connection comes from one of the trusted proxies) the last address of X-Forwarded-For: the
/// one that proxy appended. Earlier entries are whatever the client chose to send. A request with
/// no peer (served in-process, as the router tests do) has no proxy to check.
pub fn client_addr(
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    auth: &AuthConfig,
) -> String {
    let from_proxy = peer.is_none_or(|p| auth.trusted_proxies.iter().any(|c| c.contains(p.0.ip())));
    if auth.trust_forwarded_for && from_proxy {
        // The last hop over all the header's lines: a proxy may add its own line rather than
        // append to the client's, and the client writes the earlier lines. A last hop that is
        // not an address is not trusted (the peer is used).
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<std::net::IpAddr>().ok());
        if let Some(addr) = last {
            return addr.to_canonical().to_string();
        }
    }
    peer.map(|c| c.0.ip().to_canonical().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(trust: bool) -> AuthConfig {
        AuthConfig {
            trust_forwarded_for: trust,
            ..Default::default()
        }
    }

    #[test]
    fn forwarded_for_only_from_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        let stranger = ConnectInfo("198.51.100.7:5000".parse::<SocketAddr>().unwrap());
        assert_eq!(
            client_addr(&h, Some(&stranger), &auth(true)),
            "198.51.100.7"
        );
        let mut listed = auth(true);
        listed.trusted_proxies =
            vec![shardscope::config::cidr::Cidr::parse("198.51.100.0/24").unwrap()];
        assert_eq!(client_addr(&h, Some(&stranger), &listed), "203.0.113.9");
        let mapped = ConnectInfo("[::ffff:198.51.100.7]:5000".parse::<SocketAddr>().unwrap());
        assert_eq!(
            client_addr(&HeaderMap::new(), Some(&mapped), &auth(false)),
            "198.51.100.7"
        );
    }

    #[test]
    fn forwarded_for_only_when_trusted_and_well_formed() {
        let mut h = HeaderMap::new();
        // The client sent "1.2.3.4"; the proxy appended the address it saw.
        h.insert("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        let peer = ConnectInfo("127.0.0.1:5000".parse::<SocketAddr>().unwrap());
        assert_eq!(client_addr(&h, Some(&peer), &auth(false)), "127.0.0.1");
        assert_eq!(client_addr(&h, Some(&peer), &auth(true)), "203.0.113.9");
        h.insert("x-forwarded-for", "<script>".parse().unwrap());
        assert_eq!(client_addr(&h, Some(&peer), &auth(true)), "127.0.0.1");
        assert_eq!(
            client_addr(&HeaderMap::new(), None, &auth(false)),
            "unknown"
        );
        // A proxy that adds its own line: the client's line comes first and chooses nothing.
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        h.append("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        assert_eq!(client_addr(&h, Some(&peer), &auth(true)), "203.0.113.9");
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "203.0.113.9".parse().unwrap());
        h.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        assert_eq!(
            client_addr(&h, Some(&peer), &auth(true)),
            "6.6.6.6",
            "the last line's last hop"
        );
    }
}
