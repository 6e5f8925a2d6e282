//! Where a running server is reached: the address to dial and the URL a user opens.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use wirebook_shared::base_url::BaseUrl;

/// Where a listener bound to `addr` can be reached: an unspecified address (`0.0.0.0`, `::`)
/// is reached on loopback.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

/// The URL a user opens: the UI under the base URL, with the token.
pub fn ui_url(addr: SocketAddr, base: &BaseUrl, token: &str) -> String {
    format!("http://{}{base}?token={token}", reachable(addr))
}

/// The one line `wirebook` prints on stdout when it is ready.
pub fn startup_line(addr: SocketAddr, base: &BaseUrl, token: &str) -> String {
    format!("wirebook is running at {}", ui_url(addr, base, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_use_a_reachable_address() {
        let any: SocketAddr = "0.0.0.0:8977".parse().unwrap();
        assert_eq!(
            startup_line(any, &BaseUrl::root(), "T"),
            "wirebook is running at http://127.0.0.1:8977/?token=T"
        );
        let v6: SocketAddr = "[::]:1".parse().unwrap();
        assert_eq!(ui_url(v6, &BaseUrl::root(), "T"), "http://[::1]:1/?token=T");
        let base = BaseUrl::parse("/wirebook/").unwrap();
        assert_eq!(
            ui_url(any, &base, "T"),
            "http://127.0.0.1:8977/wirebook/?token=T"
        );
        let local: SocketAddr = "127.0.0.2:5".parse().unwrap();
        assert_eq!(reachable(local), local);
    }
}
