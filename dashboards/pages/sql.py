"""分析查询 / SQL: analysts' ad-hoc read-only SQL on the serving snapshot (dashboards/analyst_sql.py)."""

from __future__ import annotations

from dashboards.context import get_context, has_context


def render() -> None:
    from dashboards.analyst_sql import render as render_sql

    render_sql(get_context())


if has_context():
    render()
else:
    # Run directly rather than by the shell (AppTest, legacy `pages/` mode): go through the shell.
    from dashboards.app import main

    main()
