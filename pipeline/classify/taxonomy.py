"""Load and validate the versioned architecture-family taxonomy (warehouse/seeds/taxonomy.toml)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError

# The fixed family vocabulary: the taxonomy file must declare exactly these keys.
FAMILIES: tuple[str, ...] = (
    "transformer", "cnn", "rnn", "gnn", "mlp", "diffusion", "gan", "vae", "flow", "ssm",
    "tree_ensemble", "kernel", "probabilistic", "shallow_embedding", "symbolic", "linear",
    "evolutionary", "gaussian_splatting", "other",
)
LEXICON_KINDS = ("backbones", "phrases", "weak", "cased", "hints", "hints_cased")
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "warehouse" / "seeds" / "taxonomy.toml"

_CONTEXT_LISTS = ("comparison", "weak_negation", "ownership", "baseline_after", "proposal_before",
                  "proposal_after", "background", "component_families", "component_after")
_CONTEXT_NUMBERS = ("window_words", "title_weight", "backbone_weight", "phrase_weight", "weak_weight",
                    "proposal_weight", "background_weight", "min_family_score", "secondary_ratio",
                    "other_confidence")
_LINEAGE_KEYS = ("foundation_min_descendants", "foundation_max_ancestors", "min_name_length",
                 "short_name_length", "name_stoplist")


@dataclass(frozen=True)
class Family:
    """One architecture family of the taxonomy."""

    key: str
    label: str
    description: str


@dataclass(frozen=True)
class Taxonomy:
    """The validated contents of the taxonomy file."""

    version: str
    families: tuple[Family, ...]
    collections: dict[str, str]            # mapped collection -> family
    mixed_collections: frozenset[str]      # architecture-bearing, family decided per method name
    ignored_collections: frozenset[str]    # generic: no family
    method_overrides: dict[str, str]       # exact PwC method name -> family
    lexicon: dict[str, dict[str, tuple[str, ...]]]  # family -> kind -> entries
    stopphrases: tuple[str, ...] = ()      # look like family names, are not (datasets, tasks)
    context: dict = field(default_factory=dict)
    lineage: dict = field(default_factory=dict)
    domain_cues: dict = field(default_factory=dict)   # domain -> cue phrases (pipeline.classify.domain)
    path: Path | None = None

    def collection_kind(self, collection: str) -> str | None:
        """'mapped', 'mixed', 'ignored', or None for a collection the taxonomy does not know."""
        if collection in self.collections:
            return "mapped"
        if collection in self.mixed_collections:
            return "mixed"
        if collection in self.ignored_collections:
            return "ignored"
        return None


def _fail(path, message: str):
    raise ConfigError(f"taxonomy {path}: {message}")


def _str_list(path, value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        _fail(path, f"{where} must be a list of non-empty strings")
    return tuple(value)


def parse_taxonomy(data: dict, path: Path | str = "<memory>") -> Taxonomy:
    """Validate parsed TOML ``data`` and return a :class:`Taxonomy` (ConfigError on any problem)."""
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        _fail(path, "missing a non-empty string 'version'")
    fams = data.get("families")
    if not isinstance(fams, dict):
        _fail(path, "missing the [families] table")
    if tuple(fams) != FAMILIES:
        missing = [f for f in FAMILIES if f not in fams]
        extra = [f for f in fams if f not in FAMILIES]
        _fail(path, f"families must be exactly {', '.join(FAMILIES)} in that order "
                    f"(missing: {missing or 'none'}, unknown: {extra or 'none'})")
    families = []
    for key, spec in fams.items():
        if not isinstance(spec, dict) or not all(isinstance(spec.get(k), str) and spec[k].strip()
                                                 for k in ("label", "description")):
            _fail(path, f"family {key!r} needs a non-empty label and description")
        families.append(Family(key, spec["label"], spec["description"]))

    cols = data.get("collections", {})
    mapped = cols.get("mapped", {})
    if not isinstance(mapped, dict):
        _fail(path, "[collections.mapped] must be a table collection -> family")
    for collection, family in mapped.items():
        if family not in FAMILIES or family == "other":
            _fail(path, f"collection {collection!r} maps to unknown family {family!r}")
    mixed = frozenset(_str_list(path, cols.get("mixed", []), "collections.mixed"))
    ignored = frozenset(_str_list(path, cols.get("ignored", []), "collections.ignored"))
    overlap = (set(mapped) & mixed) | (set(mapped) & ignored) | (mixed & ignored)
    if overlap:
        _fail(path, f"collections listed in more than one kind: {sorted(overlap)}")

    overrides = data.get("methods", {})
    for name, family in overrides.items():
        if family not in FAMILIES or family == "other":
            _fail(path, f"method override {name!r} maps to unknown family {family!r}")

    lexicon: dict[str, dict[str, tuple[str, ...]]] = {}
    for family, spec in data.get("lexicon", {}).items():
        if family not in FAMILIES or family == "other":
            _fail(path, f"lexicon for unknown family {family!r}")
        unknown = set(spec) - set(LEXICON_KINDS)
        if unknown:
            _fail(path, f"lexicon.{family} has unknown keys {sorted(unknown)}")
        lexicon[family] = {kind: _str_list(path, spec.get(kind, []), f"lexicon.{family}.{kind}")
                           for kind in LEXICON_KINDS}

    stopphrases = _str_list(path, data.get("stopphrases", {}).get("phrases", []), "stopphrases.phrases")
    context = data.get("context", {})
    for key in _CONTEXT_LISTS:
        _str_list(path, context.get(key), f"context.{key}")
    for family in context.get("component_families", []):
        if family not in FAMILIES:
            _fail(path, f"context.component_families: unknown family {family!r}")
    for key in _CONTEXT_NUMBERS:
        if not isinstance(context.get(key), (int, float)):
            _fail(path, f"context.{key} must be a number")
    lineage = data.get("lineage", {})
    for key in _LINEAGE_KEYS:
        if key not in lineage:
            _fail(path, f"lineage.{key} is missing")
    return Taxonomy(version=version, families=tuple(families), collections=dict(mapped),
                    mixed_collections=mixed, ignored_collections=ignored,
                    method_overrides=dict(overrides), lexicon=lexicon, stopphrases=stopphrases, context=dict(context),
                    lineage=dict(lineage), domain_cues=dict(data.get("domain_cues", {})), path=Path(path) if path != "<memory>" else None)


def load_taxonomy_file(path: Path | str | None = None) -> Taxonomy:
    """Read and validate the taxonomy TOML (the repo's seed file by default)."""
    if path is None:
        return _default_taxonomy()
    return _read(Path(path))


def _read(path: Path) -> Taxonomy:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"taxonomy file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"taxonomy {path}: invalid TOML: {exc}") from None
    return parse_taxonomy(data, path)


@functools.lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    return _read(DEFAULT_PATH)
