"""Configuration in one place: defaults < optional TOML file < MLGRAPH_* environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from pipeline.errors import ConfigError

DEFAULT_SETS = ("cs", "stat", "eess")
PROFILES = ("production", "sample")

# The four source locations: (environment variable, what it is and where it comes from). A blank
# one is an error naming the variable, never a silent fallback to synthetic data.
SOURCE_SETTINGS: dict[str, tuple[str, str]] = {
    "arxiv_oai_url": ("MLGRAPH_ARXIV_OAI_URL", "the arXiv OAI-PMH endpoint, https://oaipmh.arxiv.org/oai"),
    "arxiv_snapshot": ("MLGRAPH_ARXIV_SNAPSHOT", "a path or URL of the arXiv metadata snapshot "
                       "(arxiv-metadata-oai-snapshot.json from Kaggle, Cornell-University/arxiv)"),
    "pwc_dumps": ("MLGRAPH_PWC_DUMPS", "a directory or base URL of the Papers With Code archive "
                  "(the pwc-archive datasets on the Hugging Face Hub, or the JSON dumps)"),
    "s2_api_url": ("MLGRAPH_S2_API_URL", "the Semantic Scholar Graph API, https://api.semanticscholar.org/graph/v1"),
}


@dataclass(frozen=True)
class Settings:
    """Every setting the pipeline reads. Build with :func:`load_settings`."""

    home: Path = Path("mlgraph-data")
    # "sample" runs against the bundled synthetic sample served from loopback (pipeline.sample);
    # "production" needs every source location below to be set.
    profile: str = "production"
    # None means "not configured": the source refuses to run (see require_source).
    arxiv_oai_url: str | None = None
    arxiv_sets: tuple[str, ...] = DEFAULT_SETS
    arxiv_format: str = "arXivRaw"
    arxiv_snapshot: str | None = None
    pwc_dumps: str | None = None
    s2_api_url: str | None = None
    s2_api_key: str | None = field(default=None, repr=False)
    oai_delay_seconds: float = 3.0
    s2_requests_per_second: float = 1.0
    s2_refresh_days: int = 30
    s2_batch_size: int = 500
    http_timeout_seconds: float = 60.0
    http_max_retries: int = 5
    http_backoff_seconds: float = 2.0
    http_max_retry_after_seconds: float = 600.0
    user_agent: str = "mlgraph/0.1 (+https://github.com/mlgraph/mlgraph)"
    # A source whose new data holds fewer than shrink_ratio x the rows it replaces is refused
    # (outcome suspect_shrink, previous version kept) unless allow_shrink (--allow-shrink).
    # Reader bounds: past one, the record is quarantined (or the file refused), never loaded whole.
    reader_max_line_bytes: int = 64 * 1024 * 1024           # one snapshot line
    reader_max_field_bytes: int = 8 * 1024 * 1024           # one PwC string field
    reader_max_decompressed_bytes: int = 64 * 1024 ** 3     # one snapshot / dump file, decompressed
    http_max_body_bytes: int = 512 * 1024 * 1024            # one OAI page / S2 batch response
    shrink_ratio: float = 0.5
    allow_shrink: bool = False
    sample_papers: int = 8000
    sample_seed: int = 42
    # Foundation-model lineage sources. Blank means "not configured": the source is skipped with a
    # log line (never replaced by the sample).
    hf_api_url: str | None = None
    hf_seed_models: tuple[str, ...] = ()
    hf_max_depth: int = 2
    hf_max_requests: int = 2000
    hf_requests_per_second: float = 2.0
    hf_token: str | None = field(default=None, repr=False)
    hf_export_path: str | None = None
    epoch_models: str | None = None
    ecosystem_graphs: str | None = None

    @property
    def lake(self) -> Path:
        """Root of the raw Parquet lake."""
        return self.home / "lake"

    @property
    def warehouse(self) -> Path:
        """The published DuckDB warehouse file."""
        return self.home / "warehouse" / "mlgraph.duckdb"

    @property
    def state(self) -> Path:
        """Checkpoints, the ingest manifest and other bookkeeping."""
        return self.home / "state"

    @property
    def sample_dir(self) -> Path:
        """Where the bundled sample corpus is generated."""
        return self.home / "sample"

    def public_dict(self) -> dict:
        """Settings as plain JSON-able values, with secrets redacted."""
        out = {}
        for key, value in asdict(self).items():
            if key in ("s2_api_key", "hf_token"):
                value = "***" if value else None
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


_ENV_PREFIX = "MLGRAPH_"


def _coerce(name: str, raw, target_type):
    try:
        if target_type is Path:
            return Path(raw).expanduser()
        if target_type == "tuple[str, ...]":
            if isinstance(raw, str):
                return tuple(p.strip() for p in raw.split(",") if p.strip())
            return tuple(str(p) for p in raw)
        if target_type == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text not in ("1", "0", "true", "false", "yes", "no", "on", "off", ""):
                raise ValueError("expected true or false")
            return text in ("1", "true", "yes", "on")
        if target_type == "int":
            return int(raw)
        if target_type == "float":
            return float(raw)
        return None if raw in ("", None) else str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot read {raw!r} ({exc})") from None


def _field_types() -> dict[str, object]:
    types = {}
    for f in fields(Settings):
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        types[f.name] = Path if annotation == "Path" else annotation
    return types


def load_settings(env: dict[str, str] | None = None, toml_path: str | Path | None = None, **overrides) -> Settings:
    """Resolve settings: defaults, then a TOML file, then MLGRAPH_* variables, then overrides.

    The TOML file is ``toml_path``, else ``$MLGRAPH_CONFIG``, else ``./mlgraph.toml`` if present;
    its keys are the field names (``home``, ``arxiv_oai_url``…), optionally under ``[mlgraph]``.
    """
    env = dict(os.environ if env is None else env)
    types = _field_types()
    values: dict[str, object] = {}

    path = toml_path or env.get("MLGRAPH_CONFIG") or ("mlgraph.toml" if Path("mlgraph.toml").exists() else None)
    if path:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        data = data.get("mlgraph", data)
        for key, raw in data.items():
            if key not in types:
                raise ConfigError(f"config file {path}: unknown setting {key!r}")
            values[key] = _coerce(key, raw, types[key])

    for name, kind in types.items():
        env_name = _ENV_PREFIX + name.upper()
        if env_name in env:
            values[name] = _coerce(env_name, env[env_name], kind)

    for name, raw in overrides.items():
        if raw is not None:
            values[name] = _coerce(name, raw, types[name]) if not isinstance(raw, (Path, tuple, bool)) else raw

    if values.get("profile", "") is None:  # a blank MLGRAPH_PROFILE= is the default
        values.pop("profile")
    settings = replace(Settings(), **values)
    if settings.profile not in PROFILES:
        raise ConfigError(f"MLGRAPH_PROFILE must be one of {', '.join(PROFILES)}, not {settings.profile!r}")
    if not 0.0 <= settings.shrink_ratio <= 1.0:
        raise ConfigError(f"shrink_ratio must be between 0 and 1, not {settings.shrink_ratio}")
    if settings.arxiv_format not in ("arXivRaw", "arXiv"):
        raise ConfigError(f"arxiv_format must be arXivRaw or arXiv, not {settings.arxiv_format!r}")
    return settings


def require_source(settings: Settings, name: str) -> str:
    """The configured location of a source, or a ConfigError naming its unset variable."""
    value = getattr(settings, name)
    if value is None or not str(value).strip():
        env_name, what = SOURCE_SETTINGS[name]
        raise ConfigError(f"{env_name} is not set: set it to {what}, or use the sample profile "
                          "(MLGRAPH_PROFILE=sample, `mlgraph run`, `mlgraph ingest sample`)")
    return str(value)
