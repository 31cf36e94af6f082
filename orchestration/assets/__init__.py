"""Dagster assets, one module per domain: extract, transform, publish."""
