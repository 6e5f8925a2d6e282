//! The kernel message composer in the inspector: the draft and its checks ([`draft`]), and
//! its view.

pub mod draft;
pub mod view;
