//! Black-box tests of fpasted: a real server on 127.0.0.1:0, spoken to over real sockets.

mod access;
mod api;
mod auth;
mod burn_password;
mod contract;
mod durability;
mod hot_path;
mod limits;
mod logs;
mod manage;
mod memory;
mod openapi;
mod ops;
mod pki;
mod pki_csr;
mod pki_seal;
mod pow;
mod prefix;
mod quotas;
mod read_limits;
mod robustness;
mod scanning;
mod short;
mod streamed;
mod support;
mod webhooks;
