//! `fpaste` end to end: the real binary against a real fpasted on `127.0.0.1:0`.

mod auth;
mod burn;
mod burn_confirm;
mod config;
mod encryption;
mod manage;
mod mine;
mod pow;
mod register;
mod roundtrip;
mod shell;
mod support;
