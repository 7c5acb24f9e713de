"""Storage: the DuckDB schema, its migrations and versioned workspace files."""
