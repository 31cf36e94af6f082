"""campus-dw configuration: one YAML file, validated on load, secrets from the environment.

The file is found at ``--config``, else ``$CAMPUS_DW_CONFIG``, else ``./campus-dw.yml``;
without any file the embedded default (the demo college) is used.  Nothing here is read
at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractors.catalog import load_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A configuration problem, with a message that names the bad key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqliteSource(_Model):
    type: Literal["sqlite"]
    path: Path


class ServerSource(_Model):
    """A PostgreSQL or MySQL/MariaDB server.  The password never sits in the file: ``password_env``
    names the environment variable that holds it (empty/absent means no password)."""

    type: Literal["postgres", "mysql"]
    host: str = "127.0.0.1"
    port: int | None = None
    user: str = "root"
    database: str
    password_env: str | None = None
    schema_: str | None = Field(default=None, alias="schema")

    def password(self) -> str:
        if not self.password_env:
            return ""
        return os.environ.get(self.password_env, "")

    def default_port(self) -> int:
        return self.port or (5432 if self.type == "postgres" else 3306)

    def attach_string(self) -> str:
        """DuckDB ATTACH connection string (libpq keyword form); contains the secret: never log it."""
        parts = [f"host={self.host}", f"port={self.default_port()}", f"user={self.user}"]
        parts.append(f"dbname={self.database}" if self.type == "postgres" else f"database={self.database}")
        pw = self.password()
        if pw:
            parts.append(f"password={pw}")
        return " ".join(parts)

    def describe(self) -> str:
        """A log-safe description (no secret)."""
        return f"{self.type}://{self.user}@{self.host}:{self.default_port()}/{self.database}"


DatabaseSource = Annotated[SqliteSource | ServerSource, Field(discriminator="type")]


class FinanceSource(_Model):
    inbox: Path


class PaymentSource(_Model):
    base_url: str = "http://127.0.0.1:8765"
    token_env: str = "CAMPUS_DW_PAYMENT_TOKEN"
    page_size: int = Field(default=500, ge=1, le=1000)
    timeout_s: float = 30.0
    max_retries: int = 6

    def token(self) -> str:
        tok = os.environ.get(self.token_env)
        if not tok:
            raise ConfigError(
                f"sources.payment.token_env: environment variable {self.token_env} is not set "
                "(it must hold the payment platform's bearer token)"
            )
        return tok


class Sources(_Model):
    academic: DatabaseSource
    hr: DatabaseSource
    finance: FinanceSource
    payment: PaymentSource


class LineMax(_Model):
    pass_max: float
    limit_max: float


class LineMin(_Model):
    pass_min: float
    limit_min: float


class Thresholds(_Model):
    """Basic running-condition lines (基本办学条件), kpis.md defaults."""

    student_teacher_ratio: LineMax = LineMax(pass_max=18, limit_max=22)
    pct_teachers_postgrad_degree: LineMin = LineMin(pass_min=0.30, limit_min=0.15)
    academic_risk_failed_credits: float = 10.0


class Institution(_Model):
    code: str = Field(default="4100000001", pattern=r"^[0-9A-Za-z_-]{1,20}$")
    name_zh: str = "示范学院"
    name_en: str = "Demo College"


class Publish(_Model):
    keep_snapshots: int = Field(default=7, ge=1)
    stale_after_hours: float = 36.0


class Serve(_Model):
    host: str = "127.0.0.1"
    dashboard_port: int = 8501
    dagster_port: int = 3000


class Demo(_Model):
    scale: Literal["small", "medium", "large"] = "medium"
    seed: int = 20251
    defect_rate: float = Field(default=0.01, ge=0, le=0.2)
    payment_port: int = 8765
    payment_token: str = "demo-token"


class Settings(_Model):
    institution: Institution = Institution()
    home: Path = Path(".campus-dw")
    sources: Sources
    thresholds: Thresholds = Thresholds()
    publish: Publish = Publish()
    serve: Serve = Serve()
    demo: Demo | None = None
    config_origin: Path | None = Field(default=None, exclude=True)

    # -- paths -----------------------------------------------------------------------------
    @property
    def home_dir(self) -> Path:
        return self.home if self.home.is_absolute() else (Path.cwd() / self.home)

    @property
    def warehouse_path(self) -> Path:
        return self.home_dir / "warehouse" / "warehouse.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.home_dir / "serving"

    @property
    def quality_dir(self) -> Path:
        return self.home_dir / "quality"

    @property
    def app_db_path(self) -> Path:
        return self.home_dir / "app" / "app.sqlite"

    @property
    def dagster_home(self) -> Path:
        return self.home_dir / "dagster"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's artifacts of this home's runs (one folder per ``dbt build``) and its parse cache."""
        return self.home_dir / "dbt" / "target"


def demo_dir(home: Path, scale: str) -> Path:
    return home / "demo" / scale


def default_settings_dict(home: Path = Path(".campus-dw"), scale: str = "medium") -> dict:
    """The embedded default: the demo college generated under ``<home>/demo/<scale>``."""
    d = demo_dir(home, scale)
    return {
        "home": str(home),
        "sources": {
            "academic": {"type": "sqlite", "path": str(d / "academic.sqlite")},
            "hr": {"type": "sqlite", "path": str(d / "hr.sqlite")},
            "finance": {"inbox": str(d / "finance_inbox")},
            "payment": {"base_url": "http://127.0.0.1:8765", "token_env": "CAMPUS_DW_PAYMENT_TOKEN"},
        },
        "demo": {"scale": scale},
    }


def _format_error(err: ValidationError, origin: str) -> str:
    lines = [f"invalid configuration in {origin}:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-after"))
        lines.append(f"  {loc}: {e['msg']}")
    return "\n".join(lines)


def settings_from_dict(data: dict, origin: str = "<dict>") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_error(err, origin)) from None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load and validate the configuration (see module docstring for where it is found)."""
    candidate = path or os.environ.get("CAMPUS_DW_CONFIG")
    if candidate is None and Path("campus-dw.yml").exists():
        candidate = "campus-dw.yml"
    if candidate is None:
        home = Path(os.environ.get("CAMPUS_DW_HOME", ".campus-dw"))
        scale = os.environ.get("CAMPUS_DW_DEMO_SCALE", "medium")
        return settings_from_dict(default_settings_dict(home, scale), "the embedded default")
    p = Path(candidate)
    if not p.exists():
        raise ConfigError(f"configuration file {p} does not exist")
    try:
        data = load_yaml(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {p} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"configuration file {p}: the top level must be a mapping")
    settings = settings_from_dict(data, str(p))
    settings.config_origin = p.resolve()
    return settings
