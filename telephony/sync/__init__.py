"""Bringing every vendor's calls into CallRecord: the bulk ingest (rollups included),
the sync jobs, and reconciliation against the vendors' own counts."""
