"""Tests of the Streamlit dashboards."""
