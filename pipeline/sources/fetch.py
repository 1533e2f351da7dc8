"""Read a small source file from a local path or an HTTP(S) URL (Epoch CSV, Ecosystem Graphs files)."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import MlgraphError
from pipeline.http import HttpClient, redact_url


def is_url(location: str) -> bool:
    """Whether a configured location is an HTTP(S) URL rather than a path."""
    return str(location).lower().startswith(("http://", "https://"))


def read_bytes(settings, location: str, *, name: str) -> tuple[bytes, str]:
    """(content, safe label) of a path or URL; a missing file or failed download is a readable error."""
    if is_url(location):
        client = HttpClient.from_settings(settings, name=name, min_interval=0.0)
        try:
            return client.get(location).content, redact_url(location)
        finally:
            client.close()
    path = Path(location).expanduser()
    if not path.is_file():
        raise MlgraphError(f"{name}: {location} is not a file")
    return path.read_bytes(), str(path)


def replace_version(settings, version: str, datasets: dict[str, list]) -> None:
    """Write ``version`` of each dataset and drop its other versions, in one guarded lake transaction.

    One version is current: older ones would double every row in staging. Dropping them inside the
    same transaction means readers see the old version or the new, never both or neither, and the
    shrink guard refuses a new version far smaller than the one it replaces.
    """
    from pipeline import lake

    data_keys = [k for k in datasets if not k.endswith("/quarantine")]
    with lake.transaction(settings.lake, lake.ShrinkGuard.from_settings(settings, tuple(data_keys))) as txn:
        for key, rows in datasets.items():
            txn.write(key, version, rows)
            for old in lake.list_partitions(settings.lake, key):
                if old != version:
                    txn.drop(key, old)
