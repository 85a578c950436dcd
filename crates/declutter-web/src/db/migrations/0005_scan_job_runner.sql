-- Which process runs a scan and when it last showed life, so an instance starting up (or the
-- periodic sweep) fails only scans whose run is gone, never one another live instance runs.
-- Rows from before this migration have no runner and count as gone.

ALTER TABLE scan_jobs ADD COLUMN runner_host TEXT;
ALTER TABLE scan_jobs ADD COLUMN runner_pid INTEGER;
ALTER TABLE scan_jobs ADD COLUMN runner_pid_start INTEGER;
ALTER TABLE scan_jobs ADD COLUMN heartbeat_at INTEGER;
CREATE INDEX scan_jobs_running ON scan_jobs (state) WHERE state = 'running';
