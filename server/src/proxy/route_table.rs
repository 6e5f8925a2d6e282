//! The tap proxy's routes while the server runs: those of the command line (fixed) and those
//! added from the UI through `/api/routes` (its handlers are in `crate::proxy::api`). `/tap/NAME` looks its
//! route up at each connection, so a route added or removed applies to the next client;
//! connections already relayed keep going.

use std::sync::RwLock;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wirebook_shared::route_api::{RouteInfo, RouteRequest};

use crate::admission::api_request;
use crate::proxy::routes::{parse_route, Route};

#[derive(Debug)]
pub struct RouteTable {
    routes: RwLock<Vec<(Route, bool)>>,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        api_request::refused((self.status, self.message))
    }
}

impl RouteTable {
    /// The command line's routes.
    pub fn new(routes: &[Route]) -> Self {
        RouteTable {
            routes: RwLock::new(routes.iter().map(|r| (r.clone(), true)).collect()),
        }
    }

    pub fn get(&self, name: &str) -> Option<Route> {
        self.read()
            .iter()
            .find(|(route, _)| route.name == name)
            .map(|(route, _)| route.clone())
    }

    pub fn list(&self) -> Vec<RouteInfo> {
        self.read().iter().map(|(r, cli)| info(r, *cli)).collect()
    }

    /// Adds or replaces the UI route `name`; `Ok(true)` when it is new.
    pub fn put(&self, name: &str, request: &RouteRequest) -> Result<(RouteInfo, bool), Refusal> {
        let route = parse_route(&format!("{name}={}", request.url), request.public)
            .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e))?;
        let mut routes = self.write();
        match routes.iter_mut().find(|(r, _)| r.name == name) {
            Some((_, true)) => Err(command_line(name)),
            Some((existing, false)) => {
                *existing = route.clone();
                Ok((info(&route, false), false))
            }
            None => {
                routes.push((route.clone(), false));
                Ok((info(&route, false), true))
            }
        }
    }

    pub fn delete(&self, name: &str) -> Result<(), Refusal> {
        let mut routes = self.write();
        match routes.iter().position(|(r, _)| r.name == name) {
            None => Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("no route named {name:?}"),
            )),
            Some(i) if routes[i].1 => Err(command_line(name)),
            Some(i) => {
                routes.remove(i);
                Ok(())
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<(Route, bool)>> {
        self.routes.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<(Route, bool)>> {
        self.routes.write().unwrap_or_else(|p| p.into_inner())
    }
}

fn command_line(name: &str) -> Refusal {
    Refusal::new(
        StatusCode::CONFLICT,
        format!("the route {name:?} was given on the command line and stays as started"),
    )
}

fn info(route: &Route, from_command_line: bool) -> RouteInfo {
    RouteInfo {
        name: route.name.clone(),
        url: route.url.text.clone(),
        public: route.public,
        from_command_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_routes_come_and_go_and_command_line_ones_stay() {
        let cli = parse_route("chat=ws://127.0.0.1:9/ws", false).unwrap();
        let table = RouteTable::new(&[cli]);
        let request = RouteRequest {
            url: "wss://feed.example.test/x".into(),
            public: false,
        };
        let (info, created) = table.put("feed", &request).unwrap();
        assert!(created && !info.from_command_line);
        assert_eq!(table.get("feed").unwrap().url.port, 443);
        let (_, created) = table
            .put(
                "feed",
                &RouteRequest {
                    url: "ws://127.0.0.1:10/".into(),
                    public: true,
                },
            )
            .unwrap();
        assert!(!created);
        assert!(table.get("feed").unwrap().public);
        assert_eq!(
            table.put("chat", &request).unwrap_err().status,
            StatusCode::CONFLICT
        );
        assert_eq!(
            table.delete("chat").unwrap_err().status,
            StatusCode::CONFLICT
        );
        let bad = table
            .put(
                "a/b",
                &RouteRequest {
                    url: "ws://h/".into(),
                    public: false,
                },
            )
            .unwrap_err();
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.message.contains("may only contain"), "{}", bad.message);
        table.delete("feed").unwrap();
        assert!(table.get("feed").is_none());
        assert_eq!(
            table.delete("feed").unwrap_err().status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(table.list().len(), 1);
    }
}
