//! Black-box tests of the web app: a real server on 127.0.0.1:0, reqwest with a cookie store,
//! a fake OpenID Connect provider, a fresh database per test.

mod access;
mod accounts;
mod audit;
mod browser;
mod cleanup;
mod connections;
mod csrf;
mod drives;
mod error_pages;
mod fake_oidc;
mod folder_counts;
mod hardening;
mod instances;
mod journey;
mod layering;
mod logs;
mod oidc;
mod openapi;
mod pages;
mod picks;
mod privacy;
mod progress;
mod proxy;
mod rate_limit;
mod retention;
mod review;
mod safety;
mod scan_queue;
mod shared_state;
mod support;
mod thumbnails;
mod tokens;
mod undo;
