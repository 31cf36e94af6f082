"""Dagster resources.  Configuration is read when a resource is built, never at import time."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import Settings, load_settings


class CampusSettings(dg.ConfigurableResource):
    """The campus-dw configuration (orchestration/settings.py).  ``config_path`` empty means the
    usual search ($CAMPUS_DW_CONFIG, ./campus-dw.yml, then the embedded demo default)."""

    config_path: str = ""

    def load(self) -> Settings:
        return load_settings(self.config_path or None)
