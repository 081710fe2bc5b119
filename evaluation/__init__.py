"""Retrieval evaluation: question files, metrics (ranx) and the suite behind `make eval`; never imported
by the service."""
