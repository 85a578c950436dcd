//! `fpaste`, the command-line client of fpasted: create, fetch and delete pastes, with
//! zero-knowledge end-to-end encryption (the key stays in the URL fragment), automatic proof of
//! work, mTLS and certificate pinning, and bounded memory for files of any size.

pub mod cli;
pub mod commands;
pub mod config;
pub mod envelope;
pub mod error;
pub mod expiry;
pub mod http;
pub mod link;
pub mod pin;
pub mod pow;
pub mod progress;
pub mod stream_aead;
pub mod tokens;
pub mod when;
