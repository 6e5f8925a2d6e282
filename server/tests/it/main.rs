//! Integration tests: the whole server in-process on 127.0.0.1:0, driven by real clients
//! (tokio-tungstenite, plain HTTP, python's websocket-client) and the built binary.

mod auth;
mod base_url;
mod binary;
mod capture;
mod capture_page;
mod capture_records;
mod demo;
mod echo;
mod gateway;
mod hardening;
mod http;
mod intercept;
mod jupyter;
mod kept;
mod kernel_url;
mod notebooks;
mod pcapng;
mod peers;
mod proxy;
mod python;
mod run;
mod session;
mod session_client;
mod shutdown;
mod stand_in_peers;
mod support;
mod tap;
mod tls;
mod ui;
mod viewers;
mod ws_kernel;
