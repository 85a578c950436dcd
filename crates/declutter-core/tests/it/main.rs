//! Integration tests of the declutter engine: local trees on disk, cloud providers against the
//! fake Graph and Drive servers over real HTTP, and property tests.

mod api_calls;
mod contracts;
mod emptied;
mod gdrive;
mod gdrive_strict;
mod group_paging;
mod listing;
mod local_scan;
mod model;
mod onedrive;
mod onedrive_strict;
mod owners;
mod pg_schema;
mod picks;
mod plan_apply;
mod props;
mod queue;
mod rescan;
mod safety;
mod support;
mod verify;
