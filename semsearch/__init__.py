"""The `semsearch` command: one entry point for the whole pipeline (index, search, serve, verify)."""
