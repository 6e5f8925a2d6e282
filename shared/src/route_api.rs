//! The bodies of `/api/routes`, the tap proxy's routes as the UI sees and changes them.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /api/routes` | | `200` `[RouteInfo]` |
//! | `PUT /api/routes/NAME` | `RouteRequest` | `201` (new) or `200` `RouteInfo` |
//! | `DELETE /api/routes/NAME` | | `204` |
//!
//! Errors are `{"error": "..."}`: `400` for a bad name or URL, `404` for an unknown route,
//! `409` for a route given on the command line (those stay as started).

use serde::{Deserialize, Serialize};

pub const ROUTES_API: &str = "/api/routes";

/// One route of `/tap/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteInfo {
    pub name: String,
    pub url: String,
    /// Open without the token: anyone who can reach wirebook can reach `url` through it.
    pub public: bool,
    /// Given with `--route` at startup: shown, not changeable from the UI.
    pub from_command_line: bool,
}

/// What `PUT /api/routes/NAME` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRequest {
    pub url: String,
    #[serde(default)]
    pub public: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_pinned() {
        let info = RouteInfo {
            name: "chat".into(),
            url: "ws://127.0.0.1:9000/ws".into(),
            public: false,
            from_command_line: true,
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"name":"chat","url":"ws://127.0.0.1:9000/ws","public":false,"from_command_line":true}"#
        );
        let request: RouteRequest = serde_json::from_str(r#"{"url":"wss://h/"}"#).unwrap();
        assert_eq!(
            request,
            RouteRequest {
                url: "wss://h/".into(),
                public: false
            }
        );
    }
}
