"""``mlgraph build``: build the warehouse into a candidate file, gate it, publish it atomically."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from pipeline.ingest import int_at_least


def _memory_limit(text: str) -> str:
    # DuckDB's own syntax (a number and a unit); checked here so a typo is a usage error, not a
    # parser exception from inside the build.
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)\s*", text, re.IGNORECASE):
        raise argparse.ArgumentTypeError(f"not a memory size such as 4GB or 512MiB: {text!r}")
    return text.strip()


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the build options."""
    parser.add_argument("--full", action="store_true",
                        help="rebuild everything from the lake (default: incremental against the published build)")
    parser.add_argument("--no-gates", action="store_true", help="publish without running the quality gates")
    parser.add_argument("--no-publish", action="store_true",
                        help="only build the candidate (under <home>/warehouse/candidates/) and print its path")
    parser.add_argument("--print-dictionary", action="store_true",
                        help="print the generated data dictionary and write it to docs/DATA_DICTIONARY.md")
    parser.add_argument("--select", nargs="+", metavar="MODEL",
                        help="build only these models and everything upstream of them")
    parser.add_argument("--rollback", action="store_true",
                        help="do not build: swap the previously published warehouse back into place")
    parser.add_argument("--run-id", help="run id used for the candidate's file name (default: timestamp)")
    parser.add_argument("--memory-limit", type=_memory_limit, help="DuckDB memory_limit for the build, e.g. 4GB")
    parser.add_argument("--threads", type=int_at_least(1), help="DuckDB threads for the build")
    parser.add_argument("--allow-sample-mix", action="store_true",
                        help="build even when the lake mixes synthetic sample rows with real ones (see `mlgraph status`)")


def _file_identity(path) -> tuple[int, int] | None:
    """(inode, mtime) of a file, None when absent: a publish replaces the file, so both change."""
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def run(args: argparse.Namespace, settings) -> int:
    """Build (and unless --no-publish, gate and publish) the warehouse; print where it is."""
    from pipeline.warehouse import builder
    if args.rollback:
        print(f"rolled back: {builder.rollback(settings)} is the previous build again")
        return 0
    options = dict(select=args.select, write_docs=args.print_dictionary, memory_limit=args.memory_limit,
                   threads=args.threads, allow_sample_mix=args.allow_sample_mix, full=args.full)
    if args.no_publish:
        path = builder.build(settings, args.run_id, **options)
        print(f"warehouse unchanged (nothing built): {path}" if builder.is_unchanged(settings, path)
              else f"candidate built (not published): {path}")
    else:
        # publish returns the published path too, so only the file's identity tells the two apart
        before = _file_identity(settings.warehouse)
        path = builder.build_and_publish(settings, gates=not args.no_gates, run_id=args.run_id, **options)
        unchanged = before is not None and _file_identity(settings.warehouse) == before
        print(f"warehouse unchanged (nothing rebuilt, nothing published): {path}" if unchanged
              else f"warehouse published: {path}")
    if args.print_dictionary:
        published = not args.no_publish or builder.is_unchanged(settings, path)
        exports = builder.warehouse_dir(settings) / "exports" if published else builder.exports_for(path)
        print((exports / "DATA_DICTIONARY.md").read_text())
    return 0
