//! Black-box tests of fpasted: a real server on 127.0.0.1:0, spoken to over real sockets.

mod api;
mod auth;
mod burn_password;
mod contract;
mod hot_path;
mod limits;
mod logs;
mod manage;
mod ops;
mod pow;
mod prefix;
mod robustness;
mod scanning;
mod short;
mod support;
mod webhooks;
