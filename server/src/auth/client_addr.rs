//! The client address recorded in the audit and used by the sign-in rate limit.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::HeaderMap;

/// The peer's IP, or (only when the console sits behind a proxy, and is configured to trust it)
/// the last address of X-Forwarded-For: the one that proxy appended. Earlier entries are whatever
/// the client chose to send.
pub fn client_addr(
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    trust_forwarded: bool,
) -> String {
    if trust_forwarded {
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
            return addr.to_string();
        }
    }
    peer.map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_when_trusted_and_well_formed() {
        let mut h = HeaderMap::new();
        // The client sent "1.2.3.4"; the proxy appended the address it saw.
        h.insert("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        let peer = ConnectInfo("127.0.0.1:5000".parse::<SocketAddr>().unwrap());
        assert_eq!(client_addr(&h, Some(&peer), false), "127.0.0.1");
        assert_eq!(client_addr(&h, Some(&peer), true), "203.0.113.9");
        h.insert("x-forwarded-for", "<script>".parse().unwrap());
        assert_eq!(client_addr(&h, Some(&peer), true), "127.0.0.1");
        assert_eq!(client_addr(&HeaderMap::new(), None, false), "unknown");
        // A proxy that adds its own line: the client's line comes first and chooses nothing.
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        h.append("x-forwarded-for", "1.2.3.4, 203.0.113.9".parse().unwrap());
        assert_eq!(client_addr(&h, Some(&peer), true), "203.0.113.9");
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "203.0.113.9".parse().unwrap());
        h.append("x-forwarded-for", "6.6.6.6".parse().unwrap());
        assert_eq!(
            client_addr(&h, Some(&peer), true),
            "6.6.6.6",
            "the last line's last hop"
        );
    }
}
