"""Errors users can act on; the CLI prints them without a traceback."""


class MlgraphError(Exception):
    """An expected failure with a message meant for the user (bad URL, malformed file…)."""


class ConfigError(MlgraphError):
    """Configuration is missing or invalid."""


class SourceError(MlgraphError):
    """A source could not be reached or answered with an error after bounded retries."""


class MalformedPageError(MlgraphError):
    """A whole page or file is unreadable (truncated XML, invalid JSON, corrupt gzip)."""


class SchemaDriftError(MlgraphError):
    """A table about to be written does not match its declared lake schema."""


class QualityGateError(MlgraphError):
    """A data-quality suite failed; publishing was blocked."""


class SuspectShrinkError(MlgraphError):
    """A source returned far fewer rows than the lake holds for it; the previous data was kept."""


class LockedError(MlgraphError):
    """Another process holds the lock of this operation (e.g. a build is already running)."""
