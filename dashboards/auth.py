"""Who is looking: the ONE place that decides the viewer's data-steward role.

Sign-in (OIDC through ``st.login``) is a later issue.  Until then the role comes from server-side
configuration only -- never from the URL or anything the browser sends:

- ``CAMPUS_DW_VIEWER_STEWARD`` in the environment of the Streamlit process: one of the contract
  owners (``academic_office``, ``hr_office``, ``finance_office``, ``payment_platform``).  An app
  started with it set serves that steward's office (docs/quality-reports.md).

Unset, empty or unknown -> ``None``: no steward role, every personal field masked (an unknown value
is logged, never trusted).  When sign-in arrives, :func:`current_viewer` maps the signed-in user to
an owner here and nothing else changes.
"""

from __future__ import annotations

import logging
import os

VIEWER_ENV = "CAMPUS_DW_VIEWER_STEWARD"

log = logging.getLogger("campus_dw.dashboards")


def steward_owners() -> tuple[str, ...]:
    from data_contracts.loader import OWNERS

    return tuple(OWNERS)


def current_viewer() -> str | None:
    """The viewer's steward owner (a key of ``data_contracts.loader.OWNERS``) or None (no role)."""
    raw = os.environ.get(VIEWER_ENV, "").strip()
    if not raw:
        return None
    if raw not in steward_owners():
        log.warning("%s=%r is not a steward owner %s: treated as no role", VIEWER_ENV, raw, steward_owners())
        return None
    return raw
