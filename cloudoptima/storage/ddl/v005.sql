-- Version 5 (frozen): the import log says what each cost import covers and did to the
-- others: the days it holds, where its scope came from, when the export ran, what it
-- replaced, and the overlaps it could not resolve (issue 8).
ALTER TABLE imports ADD COLUMN first_day DATE;
ALTER TABLE imports ADD COLUMN last_day DATE;
ALTER TABLE imports ADD COLUMN scope_source VARCHAR;
ALTER TABLE imports ADD COLUMN exported_at TIMESTAMP;
ALTER TABLE imports ADD COLUMN replaced VARCHAR;
ALTER TABLE imports ADD COLUMN replaced_rows BIGINT;
ALTER TABLE imports ADD COLUMN overlapping VARCHAR;
