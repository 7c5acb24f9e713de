"""Ingest: detect what a file is and load it into a workspace in one transaction."""
