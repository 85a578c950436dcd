//! Static dispatch over the three providers, and how the engine finds the provider of a source.

use std::sync::Arc;

use crate::gdrive::GDriveProvider;
use crate::ids::{ItemId, ProviderKind, Source};
use crate::local::LocalProvider;
use crate::onedrive::OneDriveProvider;
use crate::provider::{
    Item, ListingEnd, PageSink, ProviderError, StorageProvider, TrashRequest, Whereabouts,
};

use super::EngineError;

/// Any of the built-in providers.
#[derive(Debug)]
pub enum AnyProvider {
    /// Local folder.
    Local(LocalProvider),
    /// OneDrive.
    OneDrive(OneDriveProvider),
    /// Google Drive.
    GDrive(GDriveProvider),
}

/// Hands out the provider serving a source (the CLI builds them from flags, the web app from
/// the signed-in user's stored tokens).
pub trait Providers: Send + Sync {
    /// The provider for `source`.
    fn provider(&self, source: &Source) -> Result<Arc<AnyProvider>, EngineError>;
}

impl StorageProvider for AnyProvider {
    fn kind(&self) -> ProviderKind {
        match self {
            Self::Local(p) => p.kind(),
            Self::OneDrive(p) => p.kind(),
            Self::GDrive(p) => p.kind(),
        }
    }

    async fn list(
        &self,
        cursor: Option<&str>,
        pages: PageSink,
    ) -> Result<ListingEnd, ProviderError> {
        match self {
            Self::Local(p) => p.list(cursor, pages).await,
            Self::OneDrive(p) => p.list(cursor, pages).await,
            Self::GDrive(p) => p.list(cursor, pages).await,
        }
    }

    fn take_not_owned(&self) -> Vec<ItemId> {
        match self {
            Self::Local(p) => p.take_not_owned(),
            Self::OneDrive(p) => p.take_not_owned(),
            Self::GDrive(p) => p.take_not_owned(),
        }
    }

    async fn content_hash(
        &self,
        id: &ItemId,
        max_bytes: u64,
    ) -> Result<Option<String>, ProviderError> {
        match self {
            Self::Local(p) => p.content_hash(id, max_bytes).await,
            Self::OneDrive(p) => p.content_hash(id, max_bytes).await,
            Self::GDrive(p) => p.content_hash(id, max_bytes).await,
        }
    }

    async fn stat(&self, id: &ItemId) -> Result<Option<Item>, ProviderError> {
        match self {
            Self::Local(p) => p.stat(id).await,
            Self::OneDrive(p) => p.stat(id).await,
            Self::GDrive(p) => p.stat(id).await,
        }
    }

    fn retention_cap_days(&self) -> Option<u32> {
        match self {
            Self::Local(p) => p.retention_cap_days(),
            Self::OneDrive(p) => p.retention_cap_days(),
            Self::GDrive(p) => p.retention_cap_days(),
        }
    }

    fn trash_location(&self, req: &TrashRequest) -> String {
        match self {
            Self::Local(p) => p.trash_location(req),
            Self::OneDrive(p) => p.trash_location(req),
            Self::GDrive(p) => p.trash_location(req),
        }
    }

    async fn trash(&self, req: &TrashRequest, location: &str) -> Result<(), ProviderError> {
        match self {
            Self::Local(p) => p.trash(req, location).await,
            Self::OneDrive(p) => p.trash(req, location).await,
            Self::GDrive(p) => p.trash(req, location).await,
        }
    }

    async fn locate(
        &self,
        req: &TrashRequest,
        location: &str,
    ) -> Result<Whereabouts, ProviderError> {
        match self {
            Self::Local(p) => p.locate(req, location).await,
            Self::OneDrive(p) => p.locate(req, location).await,
            Self::GDrive(p) => p.locate(req, location).await,
        }
    }

    async fn restore(&self, req: &TrashRequest, location: &str) -> Result<(), ProviderError> {
        match self {
            Self::Local(p) => p.restore(req, location).await,
            Self::OneDrive(p) => p.restore(req, location).await,
            Self::GDrive(p) => p.restore(req, location).await,
        }
    }

    async fn purge(&self, req: &TrashRequest, location: &str) -> Result<(), ProviderError> {
        match self {
            Self::Local(p) => p.purge(req, location).await,
            Self::OneDrive(p) => p.purge(req, location).await,
            Self::GDrive(p) => p.purge(req, location).await,
        }
    }
}
