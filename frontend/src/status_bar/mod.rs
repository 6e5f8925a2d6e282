//! The top bar (the session socket's and the kernel's state) and the banner for notices that
//! belong to no cell: what they say as plain values ([`connection`], [`notices`]), and their
//! view.

pub mod connection;
pub mod notices;
pub mod view;
