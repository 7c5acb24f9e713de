-- Version 4 (frozen): settings and findings move out of the cost database into the
-- workspace's state store (state.sqlite), so that changing a setting or a finding's
-- status no longer copies the cost data. Workspace.open moves their rows first.
DROP TABLE IF EXISTS findings;
DROP TABLE IF EXISTS settings;
