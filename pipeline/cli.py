"""The ``mlgraph`` command: one subcommand per pipeline stage.

Each stage lives in its own module exposing ``configure(parser)`` and ``run(args, settings)``;
only the chosen stage's module is imported, so ``mlgraph --help`` stays fast. Expected failures
(:class:`pipeline.errors.MlgraphError`) print one readable line and exit 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pipeline.errors import MlgraphError

# (name, module, one-line help): the order is the pipeline's order.
COMMANDS: list[tuple[str, str, str]] = [
    ("sample", "pipeline.sample.cli", "generate a synthetic corpus in the sources' real formats (with truth.json)"),
    ("ingest", "pipeline.ingest", "ingest arXiv (OAI-PMH window or snapshot), Papers With Code dumps, Semantic Scholar, or the whole sample"),
    ("build", "pipeline.warehouse.cli", "build the DuckDB warehouse (models, families, graphs) and publish it atomically"),
    ("classify", "pipeline.classify.cli", "classify papers into architecture families (JSON lines in/out; --evaluate)"),
    ("lineage", "pipeline.lineage.cli", "query or export the architecture-lineage graph (ancestors, descendants, GraphML)"),
    ("indicators", "pipeline.indicators.cli", "print the digest of unification / lock-in / switching-cost indicators"),
    ("report", "pipeline.report.cli", "write the static report site (charts of every headline) beside the warehouse"),
    ("check", "pipeline.quality.cli", "run the Great Expectations quality gates on a built warehouse"),
    ("run", "pipeline.run", "the whole pipeline on the bundled sample (the sample profile): ingest, build, gates, digest"),
    ("status", "pipeline.status", "where the lake and warehouse are, what was ingested, and which datasets hold sample rows"),
]


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str):
        """Print ``<prog>: error: <message>`` (no usage block) and exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _base_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="mlgraph",
        description="Citation and architecture-lineage graph of ML research, with indicators of "
                    "unification, path dependency and switching cost.",
    )
    parser.add_argument("--home", help="root of all data (lake, warehouse, state); env MLGRAPH_HOME")
    parser.add_argument("--config", help="TOML configuration file; env MLGRAPH_CONFIG")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    return parser


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The full parser; only ``selected``'s module is imported to add its arguments."""
    parser = _base_parser()
    sub = parser.add_subparsers(dest="command", metavar="STAGE", title="stages")
    for name, module, help_text in COMMANDS:
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == selected:
            importlib.import_module(module).configure(sp)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlgraph`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    names = {c[0] for c in COMMANDS}
    selected = next((a for a in argv if a in names), None)
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from pipeline.config import load_settings

    module = dict((c[0], c[1]) for c in COMMANDS)[args.command]
    try:
        settings = load_settings(toml_path=args.config, home=args.home)
        return int(importlib.import_module(module).run(args, settings) or 0)
    except MlgraphError as exc:
        print(f"mlgraph {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mlgraph {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
