//! File content for the download endpoints of both fakes (Graph `/content`, Drive
//! `?alt=media`): bytes set by a test, or filler derived from the item's hash and size so that
//! items with equal hashes have equal bytes. Downloads are counted, the most in flight at once
//! is recorded, and each can be slowed down to make overlap observable.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::common::guard;

/// Content store and download counters of one fake.
#[derive(Debug, Default)]
pub struct Contents {
    bytes: Mutex<HashMap<String, Vec<u8>>>,
    served: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    delay_ms: AtomicU64,
}

/// Bytes derived from `seed`, `size` long (the same seed and size give the same bytes).
pub fn filler(seed: &str, size: u64) -> Vec<u8> {
    let mut x = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

impl Contents {
    /// Sets an item's bytes.
    pub fn set(&self, id: &str, bytes: Vec<u8>) {
        guard(&self.bytes).insert(id.to_owned(), bytes);
    }

    /// The bytes of an item: as set, else filler from its hash and size.
    pub fn of(&self, id: &str, hash: Option<&str>, size: u64) -> Vec<u8> {
        guard(&self.bytes)
            .get(id)
            .cloned()
            .unwrap_or_else(|| filler(hash.unwrap_or(id), size))
    }

    /// Downloads served.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Most downloads in flight at once so far.
    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::Relaxed)
    }

    /// Each download waits this long before answering.
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Answers a download of `bytes`, counting it.
    pub async fn serve(&self, bytes: Vec<u8>) -> Response {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let delay = self.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.served.fetch_add(1, Ordering::Relaxed);
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response()
    }
}
