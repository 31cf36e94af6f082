"""Independent reference implementation of the indicator catalogue (kpis.md), for tests."""
