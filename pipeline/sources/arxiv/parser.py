"""Pure parsing of arXiv OAI-PMH responses (metadataPrefix arXivRaw or arXiv) into lake rows.

No I/O here: the harvester hands us the bytes of one response page.  The page is read with
lxml's ``iterparse`` (records are cleared as soon as they are converted, so memory is bounded
by one record, not the page) with entity resolution, DTD loading and network access disabled:
an OAI page never needs a DTD, and a hostile one must not make us read files or URLs.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

import schemas
from pipeline.errors import MalformedPageError, SourceError
from pipeline.ids import split_arxiv_id

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_RAW_NS = "http://arxiv.org/OAI/arXivRaw/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
FORMAT_NAMESPACES = {"arXivRaw": ARXIV_RAW_NS, "arXiv": ARXIV_NS}

_RECORD = f"{{{OAI_NS}}}record"
_TOKEN = f"{{{OAI_NS}}}resumptionToken"
_ERROR = f"{{{OAI_NS}}}error"
_HEADER = f"{{{OAI_NS}}}header"
_METADATA = f"{{{OAI_NS}}}metadata"
_RAW_LIMIT = 64 * 1024

# OAI error codes with a meaning for the harvester; every other code is a plain failure.
NO_RECORDS_MATCH = "noRecordsMatch"
BAD_RESUMPTION_TOKEN = "badResumptionToken"
_HANDLED_CODES = frozenset({NO_RECORDS_MATCH, BAD_RESUMPTION_TOKEN})


# arXiv's OAI sets: one per archive group, physics archives nested as physics:<archive>.
PHYSICS_ARCHIVES = frozenset({"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
                              "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"})


def set_specs(categories: list[str]) -> list[str]:
    """arXiv's OAI setSpecs for a list of categories (cs.LG → cs, hep-th → physics:hep-th)."""
    out: list[str] = []
    for cat in categories:
        archive = cat.split(".", 1)[0]
        spec = f"physics:{archive}" if archive in PHYSICS_ARCHIVES else archive
        if spec not in out:
            out.append(spec)
    return out


def set_matches(spec: str, wanted: str) -> bool:
    """Whether a record's setSpec belongs to a requested set (``physics`` holds ``physics:hep-th``)."""
    return spec == wanted or spec.startswith(wanted + ":")


class OaiError(SourceError):
    """An OAI-PMH ``<error code=…>`` answer (badArgument, badVerb, idDoesNotExist…)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"OAI-PMH error {code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ResumptionToken:
    """The page's ``<resumptionToken>``; ``value`` is empty on the last page of a list."""

    value: str
    complete_list_size: int | None = None
    cursor: int | None = None
    expiration_date: str | None = None


class Page:
    """What one OAI-PMH response held: rows (as an Arrow table or row dicts), quarantine, token, error."""

    def __init__(self, rows: list[dict] | None = None, quarantined: list[dict] | None = None, deleted: int = 0,
                 token: ResumptionToken | None = None, error: OaiError | None = None, table: pa.Table | None = None):
        self._rows = rows if rows is not None or table is not None else []
        self._table = table
        self.quarantined = quarantined if quarantined is not None else []
        self.deleted = deleted
        self.token = token
        self.error = error

    @property
    def rows(self) -> list[dict]:
        """The rows as dicts of Python values (built from the table on first use)."""
        if self._rows is None:
            self._rows = self._table.to_pylist()
        return self._rows

    @rows.setter
    def rows(self, value: list[dict]) -> None:
        self._rows, self._table = value, None

    @property
    def table(self) -> pa.Table | None:
        """The rows as an Arrow table of ROW_SCHEMA when the columnar path read the page, else None."""
        return self._table if self._rows is None else None

    @property
    def row_count(self) -> int:
        """Number of rows, without building row dicts."""
        return self._table.num_rows if self._rows is None else len(self._rows)

    @property
    def next_token(self) -> str | None:
        """The token to ask for the next page, or None when the list is complete."""
        return self.token.value if self.token is not None and self.token.value else None


class _Reject(Exception):
    """A record cannot be converted; its message is the quarantine reason."""


def parse_page(content: bytes, location: str | None = None) -> Page:
    """Parse a ListRecords/GetRecord response page into rows, quarantine, token and OAI error.

    noRecordsMatch and badResumptionToken come back as ``page.error``; other OAI error codes
    raise :class:`OaiError`; a page that is not well-formed XML raises MalformedPageError —
    unless the fault lies inside whole ``<record>`` elements (an unbound namespace prefix, a text
    node past lxml's bound): then each record is read on its own and only the bad ones are
    quarantined, so one record never fails the window.
    """
    try:
        page = _parse_columnar(content)
        return page if page is not None else _parse(content, location)
    except etree.XMLSyntaxError as exc:
        page = _parse_record_by_record(content, location)
        if page is None:
            raise MalformedPageError(f"OAI-PMH page {location or ''} is not well-formed XML: {exc}".replace("  ", " ")) from None
        return page


_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROOT_START = re.compile(rb"<(" + _NAME + rb"OAI-PMH)[\s>][^>]*>", re.S)
_RECORD_SPAN = re.compile(rb"<" + _NAME + rb"record[\s>].*?</" + _NAME + rb"record\s*>", re.S)
_IDENTIFIER_TEXT = re.compile(rb"<" + _NAME + rb"identifier[^>]*>\s*([^<]{1,200}?)\s*</", re.S)


def _parse_record_by_record(content: bytes, location: str | None) -> Page | None:
    """The page read one ``<record>`` at a time; None when the fault is outside the records."""
    root = _ROOT_START.search(content)
    if root is None:
        return None
    head, close = content[:root.end()], b"</" + root.group(1) + b">"
    spans = list(_RECORD_SPAN.finditer(content, root.end()))
    pieces, last = [], 0
    for m in spans:
        pieces.append(content[last:m.start()])
        last = m.end()
    pieces.append(content[last:])
    try:
        page = _parse(b"".join(pieces), location)
    except etree.XMLSyntaxError:
        return None
    for index, m in enumerate(spans, start=1):
        where = f"{location or 'page'} record {index}"
        try:
            one = _parse(head + m.group(0) + close, location, first_index=index - 1)
        except etree.XMLSyntaxError as exc:
            ident = _IDENTIFIER_TEXT.search(m.group(0))
            page.quarantined.append({
                "record_key": ident.group(1).decode("utf-8", "replace") if ident else None,
                "reason": f"record is not well-formed XML: {exc}"[:1000],
                "raw": m.group(0)[:_RAW_LIMIT].decode("utf-8", "replace"), "location": where})
            continue
        page.rows += one.rows
        page.quarantined += one.quarantined
        page.deleted += one.deleted
    return page


def _parse(content: bytes, location: str | None, first_index: int = 0) -> Page:
    page = Page()
    other_error: OaiError | None = None
    index = first_index
    events = etree.iterparse(
        io.BytesIO(content), events=("end",), tag=(_RECORD, _TOKEN, _ERROR),
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
    )
    for _, elem in events:
        if elem.tag == _RECORD:
            index += 1
            _convert_record(elem, page, f"{location or 'page'} record {index}")
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            while parent is not None and elem.getprevious() is not None:
                del parent[0]
        elif elem.tag == _TOKEN:
            page.token = _token(elem)
        else:
            err = OaiError(elem.get("code") or "unknown", collapse_text(_text(elem)) or "")
            if err.code in _HANDLED_CODES:
                page.error = err
            elif other_error is None:
                other_error = err
    if other_error is not None:
        raise other_error
    return page


def _token(elem) -> ResumptionToken:
    def as_int(name):
        value = elem.get(name)
        return int(value) if value is not None and value.strip().isdigit() else None

    return ResumptionToken(value=(elem.text or "").strip(), complete_list_size=as_int("completeListSize"),
                           cursor=as_int("cursor"), expiration_date=elem.get("expirationDate"))


_RAW_TAG = f"{{{ARXIV_RAW_NS}}}arXivRaw"
_ARXIV_TAG = f"{{{ARXIV_NS}}}arXiv"
_IDENTIFIER = f"{{{OAI_NS}}}identifier"
_DATESTAMP = f"{{{OAI_NS}}}datestamp"


def _child(parent, tag: str):
    # A plain scan of a handful of children beats ElementPath's find() per call.
    for child in parent:
        if child.tag == tag:
            return child
    return None


def _convert_record(record, page: Page, location: str) -> None:
    header = _child(record, _HEADER)
    if header is not None and header.get("status") == "deleted":
        page.deleted += 1
        return
    try:
        if header is None:
            raise _Reject("record has no <header>")
        stamp = _child(header, _DATESTAMP)
        datestamp = _parse_datestamp(stamp.text if stamp is not None else None)
        metadata = _child(record, _METADATA)
        payload = metadata[0] if metadata is not None and len(metadata) else None
        if payload is None:
            raise _Reject("record has no <metadata>")
        if payload.tag == _RAW_TAG:
            row = _arxiv_raw(payload)
        elif payload.tag == _ARXIV_TAG:
            row = _arxiv(payload)
        else:
            qname = etree.QName(payload)
            raise _Reject(f"unsupported metadata format {qname.localname!r} ({qname.namespace})")
        row["oai_datestamp"] = datestamp
        page.rows.append(row)
    except (_Reject, ValueError, TypeError) as exc:
        # Every error met converting one record is that record's quarantine reason (lxml raises
        # ValueError for names it accepted while parsing, e.g. an unbound prefix in metadata).
        reason = str(exc) if isinstance(exc, _Reject) else f"{type(exc).__name__}: {exc}"
        identifier = collapse_text(header.findtext(_IDENTIFIER)) if header is not None else None
        raw = etree.tostring(record, encoding="unicode")
        page.quarantined.append({"record_key": identifier, "reason": reason[:1000], "raw": raw[:_RAW_LIMIT],
                                 "location": location})


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rpartition("}")[2]
    return name


_SIMPLE = frozenset({"id", "title", "abstract", "categories", "doi", "journal-ref", "license", "comments",
                     "report-no", "submitter", "authors", "created", "updated"})


def _fields(payload) -> tuple[dict[str, str], list]:
    """Texts of the simple children by local name, plus the repeated (structured) children in order."""
    simple: dict[str, str] = {}
    children = []
    for child in payload:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = _LOCAL_NAMES.get(tag) or _local(tag)
        # arXivRaw <authors> is a string, the arXiv format's holds <author> elements.
        if name in _SIMPLE and not (name == "authors" and len(child)):
            if name not in simple:
                simple[name] = child.text if not len(child) else _text(child)
        else:
            children.append((name, child))
    return simple, children


def _base_row(simple: dict[str, str], record_format: str) -> dict:
    raw_id = collapse_text(simple.get("id"))
    if not raw_id:
        raise _Reject("record has no <id>")
    fast = _BARE_NEW_ID.fullmatch(raw_id)  # the common case, without split_arxiv_id's prefix checks
    parts = (fast.group(1), None) if fast else split_arxiv_id(raw_id)
    if parts is None:
        raise _Reject(f"unparseable arXiv id {raw_id!r}")
    categories = _categories(simple.get("categories"))
    return {
        "arxiv_id": parts[0],
        "title": clean_text(simple.get("title")),
        "abstract": clean_text(simple.get("abstract")),
        "categories": categories,
        "primary_category": categories[0] if categories else None,
        "doi": collapse_text(simple.get("doi")),
        "journal_ref": clean_text(simple.get("journal-ref")),
        "license": collapse_text(simple.get("license")),
        "comments": clean_text(simple.get("comments")),
        "report_no": clean_text(simple.get("report-no")),
        "record_format": record_format,
    }


def _arxiv_raw(payload) -> dict:
    simple, children = _fields(payload)
    row = _base_row(simple, "arXivRaw")
    versions = []
    for name, child in children:
        if name != "version":
            continue
        label = (child.get("version") or "").strip().lower()
        if not _VERSION_LABEL.fullmatch(label):
            raise _Reject(f"bad version label {label!r}")
        sub = {_LOCAL_NAMES.get(c.tag) or _local(c.tag): c.text for c in child if isinstance(c.tag, str)}
        created = parse_rfc822(sub.get("date"))
        if created is None:
            raise _Reject(f"bad date {sub.get('date')!r} for version {label}")
        versions.append({"version": int(label[1:]), "created": created, "size": collapse_text(sub.get("size"))})
    if not versions:
        raise _Reject("arXivRaw record has no <version>")
    versions.sort(key=lambda v: v["version"])
    authors_raw = collapse_text(simple.get("authors"))
    row.update(
        latest_version=versions[-1]["version"],
        versions=versions,
        authors=split_authors(authors_raw),
        authors_raw=authors_raw,
        first_version_date=versions[0]["created"].date(),
        last_updated_date=max(v["created"] for v in versions).date(),
        submitter=clean_text(simple.get("submitter")),
    )
    return row


def _arxiv(payload) -> dict:
    simple, children = _fields(payload)
    row = _base_row(simple, "arXiv")
    created = _parse_iso_date(simple.get("created"), "created")
    updated = _parse_iso_date(simple.get("updated"), "updated") if simple.get("updated") else None
    authors = []
    for name, child in children:
        if name != "authors":
            continue
        for author in child:
            if not isinstance(author.tag, str):
                continue
            parts = {_local(c.tag): clean_text(_text(c)) for c in author if isinstance(c.tag, str)}
            authors.append({"keyname": parts.get("keyname"), "forenames": parts.get("forenames"),
                            "suffix": parts.get("suffix")})
    # The arXiv format has no raw author string; rebuild the conventional "Forenames Keyname" list.
    authors_raw = ", ".join(" ".join(p for p in (a["forenames"], a["keyname"], a["suffix"]) if p)
                            for a in authors) or None
    row.update(
        latest_version=None,
        versions=None,
        authors=authors,
        authors_raw=authors_raw,
        first_version_date=created,
        last_updated_date=max(created, updated) if updated else created,
        submitter=None,
    )
    return row


def _text(elem) -> str | None:
    if elem is None:
        return None
    if len(elem) == 0:
        return elem.text
    # Mixed content (an unresolved entity reference, stray markup): keep the character data only,
    # never an entity's replacement text.
    parts = [elem.text or ""]
    for child in elem:
        if isinstance(child.tag, str):
            parts.append(_text(child) or "")
        parts.append(child.tail or "")
    return "".join(parts)


def collapse_text(text: str | None) -> str | None:
    """Whitespace runs (any Unicode whitespace) collapsed to one space, trimmed; None when empty."""
    if text is None:
        return None
    out = " ".join(text.split())
    return out or None


def clean_text(text: str | None) -> str | None:
    """Whitespace collapsed and HTML entities (arXiv sometimes double-escapes them) unescaped."""
    text = collapse_text(text)
    if text is None or "&" not in text:
        return text
    return collapse_text(html.unescape(text))


def _categories(text: str | None) -> list[str]:
    seen: list[str] = []
    for cat in (text or "").split():
        if cat not in seen:
            seen.append(cat)
    return seen


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                          "dec"), start=1)}


def parse_rfc822(text: str | None) -> datetime | None:
    """An RFC-822 date ("Mon, 2 Apr 2007 19:18:42 GMT") as an aware UTC datetime, or None."""
    if not text or not text.strip():
        return None
    parts = text.split()
    # Fast path for arXiv's own shape; anything else goes through the general parser.
    if len(parts) == 6 and parts[5] in ("GMT", "UT", "UTC") and parts[4].count(":") == 2:
        month = _MONTHS.get(parts[2].lower())
        hms = parts[4].split(":")
        if month and parts[1].isdigit() and parts[3].isdigit() and all(x.isdigit() for x in hms):
            try:
                return datetime(int(parts[3]), month, int(parts[1]), int(hms[0]), int(hms[1]), int(hms[2]),
                                tzinfo=timezone.utc)
            except ValueError:
                return None
    try:
        value = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _parse_iso_date(text: str | None, what: str) -> date:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        raise _Reject(f"bad <{what}> date {text!r}") from None


def _parse_datestamp(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        raise _Reject(f"bad header datestamp {text!r}") from None


_BARE_NEW_ID = re.compile(r"([0-9]{4}\.[0-9]{4,5})(?:v[0-9]+)?")
_VERSION_LABEL = re.compile(r"v[0-9]+")
_GROUP = re.compile(r"\b(?:collaboration|consortium|team|group)\b", re.IGNORECASE)
_PARENS = re.compile(r"\([^()]*\)")
_AND = re.compile(r"\s*(?:,|;|\band\b|&)\s*", re.IGNORECASE)
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"}
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "le", "la", "dos", "das", "ter", "ten", "zu", "y"}


def split_authors(raw: str | None) -> list[dict]:
    """Split an arXivRaw author string into keyname/forenames/suffix dicts.

    Handles "A, B, and C", "A and B", affiliations in (possibly nested) parentheses, suffixes
    written as a separate comma item ("J. Smith, Jr."), lower-case particles (van, de…) and
    collaborations ("ATLAS Collaboration" stays one keyname).
    """
    if not raw:
        return []
    text = html.unescape(raw) if "&" in raw else raw
    if "(" in text or ")" in text:
        previous = None
        while previous != text:  # strip innermost parentheses until none are left (nested affiliations)
            previous, text = text, _PARENS.sub(" ", text)
        text = text.replace("(", " ").replace(")", " ")
    authors: list[dict] = []
    for item in _AND.split(text):
        name = " ".join(item.split())
        if not name or name.lower() in ("et al", "et al.", "others"):
            continue
        if name.lower() in _SUFFIXES and authors:
            authors[-1]["suffix"] = name
            continue
        authors.append(_split_name(name))
    return authors


# TeX accents as arXiv authors type them; arXiv's own parsed names (the snapshot's authors_parsed)
# carry the Unicode letters, so both sources must agree for author identity downstream.
_TEX_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303", "=": "\u0304",
                ".": "\u0307", "v": "\u030c", "u": "\u0306", "H": "\u030b", "c": "\u0327", "k": "\u0328",
                "r": "\u030a"}
_TEX_ACCENT = re.compile(r"\\([\'`\"^~=.]|[vuHckr](?=[{\s]))\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))")
_TEX_LETTERS = {"o": "ø", "O": "Ø", "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
                "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}
_TEX_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|[oOlLij])(?![A-Za-z])(?:\{\}| )?")
_INITIAL_GAP = re.compile(r"\.(?=\S)")
_GLUED_INITIALS = re.compile(r"^((?:[A-Z][a-z]?\.-?)+)([A-Za-z][^.]+)$")


def tex_to_unicode(text: str) -> str:
    """Common TeX accents and letters (\\'a, \\"{u}, \\v{S}, {\\O}, \\ss) as Unicode; other TeX kept."""
    if "\\" not in text:
        return text
    text = _TEX_LETTER.sub(lambda m: _TEX_LETTERS[m.group(1)], text)

    def accent(m: re.Match) -> str:
        base = (m.group(2) or m.group(3)).lstrip("\\")
        return unicodedata.normalize("NFC", base + _TEX_ACCENTS[m.group(1)])

    text = _TEX_ACCENT.sub(accent, text)
    # Braces that only protected a letter ({Ø}bro) are dropped once the letter is converted.
    return re.sub(r"\{([^{}\\]*)\}", r"\1", text)


def _split_name(name: str) -> dict:
    name = tex_to_unicode(name)
    tokens = name.split(" ")
    if len(tokens) == 1 or (len(tokens) > 1 and "." in tokens[-1] and not tokens[-1].endswith(".")):
        # Initials glued to the surname: "J.P.Hague", "A.Dellafiore", "N.d'Ambrumenil".
        glued = _GLUED_INITIALS.match(tokens[-1])
        if glued:
            tokens[-1:] = [glued.group(1), glued.group(2)]
    suffix = None
    if len(tokens) > 1 and tokens[-1].lower() in _SUFFIXES:
        suffix = tokens.pop()
    if len(tokens) == 1 or _GROUP.search(name):
        return {"keyname": " ".join(tokens), "forenames": None, "suffix": suffix}
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in _PARTICLES:
        start -= 1
    # arXiv spaces initials ("J.P." → "J. P.", "C.-P." → "C. -P."); do the same so both sources agree.
    forenames = " ".join(tokens[:start])
    if "." in forenames:
        forenames = _INITIAL_GAP.sub(". ", forenames)
    return {"keyname": " ".join(tokens[start:]), "forenames": forenames, "suffix": suffix}


# --- The columnar path --------------------------------------------------------------------------
# One lean iterparse pass collects each record's raw strings; the conversions (ids, text
# cleaning, RFC-822 dates, author splitting) then run once per page over whole columns with
# Arrow kernels.  It only takes pages it can convert exactly as the per-record path above would:
# at the first sign of anything else (an OAI error, a record to quarantine, mixed content, an
# author string with affiliations, TeX or non-ASCII letters…) it hands the page, or for authors
# that one record, to the per-record code, which stays the reference.

ROW_SCHEMA = pa.schema([f for f in schemas.get("arxiv/papers").schema if f.name != "ingested_at"])
_AUTHORS_TYPE = ROW_SCHEMA.field("authors").type
_VERSIONS_TYPE = ROW_SCHEMA.field("versions").type
_NEW_ID_GROUP = r"^(?P<id>[0-9]{4}\.[0-9]{4,5})(?:v[0-9]+)?$"
_VERSION_NUMBER = r"^v(?P<n>[0-9]{1,9})$"
# arXiv's own date shape: everything after the day sits at a fixed distance from the end of the
# value, so once a value matches, its fields are read straight from the bytes (the month name and
# the day of the month are checked after, as parse_rfc822's datetime() would).
_RFC822_SHAPE = (r"^[A-Z][a-z]{2}, (?:0?[1-9]|[12][0-9]|3[01]) [A-Z][a-z]{2} [1-9][0-9]{3} "
                 r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] GMT$")
_MONTH_CODES = np.array([(ord(m[0]) - 32) << 16 | ord(m[1]) << 8 | ord(m[2]) for m in _MONTHS], np.int64)
_MONTH_OF_SORTED = np.argsort(_MONTH_CODES) + 1
_MONTH_CODES_SORTED = _MONTH_CODES[_MONTH_OF_SORTED - 1]
_AUTHOR_SEP = r"(?i)\s*(?:,|;|\band\b|&)\s*"
# Author strings split_authors treats specially stay with it: entities, affiliations, TeX,
# collaborations, non-ASCII (where Python's and RE2's \b or \s could differ), and anything that
# may be a suffix, a particle before the keyname, "et al" or spaced initials ("..").  The test
# is on the whole string, so it errs towards split_authors.
_AUTHORS_BY_HAND = (r"(?i)[()&\\]|[^\x00-\x7f]|\b(?:collaboration|consortium|team|group)\b|\.\.|\bet al\b"
                    r"| (?:jr|sr|ii|iii|iv|v)\b| (?:van|von|der|den|de|del|della|da|di|du|le|la|dos|das|ter|ten|zu|y) ")
# A name split_name reads as "forenames keyname": two or more tokens, no dot in the last one
# (the shape _authors_column checks, without running this regex).
_PLAIN_NAME = r"^(?P<f>.*) (?P<k>[^ .]+)$"


class _Unfit(Exception):
    """The columnar path cannot convert this page exactly; the per-record path will."""


def _odd_values(x: pa.Array, amp: bool) -> tuple[pa.Array, pa.Array]:
    """A trimmed string array with its newlines as spaces, and per value whether it needs Python.

    A value needs Python when it holds a double space (a newline counting as a space), \\t \\v \\f
    \\r, non-ASCII or (amp) '&'.  A few vectorised compares over the data buffer, then only the
    rare hits are mapped to their values: Arrow's regex and substring kernels scan long
    abstracts about twice as slowly.
    """
    n = len(x)
    offsets = np.frombuffer(x.buffers()[1], np.int32, n + 1, x.offset * 4)
    data = x.buffers()[2]
    start, end = int(offsets[0]), int(offsets[-1])
    if data is None or end == start:
        return x, pa.array(np.zeros(n, bool))
    buf = np.frombuffer(data, np.uint8, end - start, start)
    newlines = np.flatnonzero(buf == 10)
    if len(newlines):
        # The trim kernel's output buffer is fresh and ours alone, so it is rewritten in place
        # (a copy of a long-abstract column costs more than the rest of this scan).
        if not buf.flags.writeable:
            whole = np.frombuffer(data, np.uint8).copy()
            x = pa.StringArray.from_buffers(n, x.buffers()[1], pa.py_buffer(whole), x.buffers()[0],
                                            x.null_count, x.offset)
            buf = whole[start:end]
        buf[newlines] = 32
    # Bytes 9-13 (the newline is gone by now); a byte >= 0x80 belongs to a non-ASCII character.
    hit = (buf - np.uint8(9)) < 5
    hit |= buf >= 0x80
    if amp:
        hit |= buf == 38
    space = buf == 32
    hit[:-1] |= space[:-1] & space[1:]
    positions = np.flatnonzero(hit) + start
    rows = np.searchsorted(offsets, positions, side="right") - 1
    # A double space must lie inside one value (it cannot straddle two: values are trimmed, but
    # a null or empty slot's bytes are not guaranteed to be).
    inside = (positions + 1 < offsets[rows + 1]) | ~space[positions - start]
    odd = np.zeros(n, bool)
    odd[rows[inside]] = True
    if x.null_count:
        odd &= x.is_valid().to_numpy(zero_copy_only=False)
    return x, pa.array(odd)


def clean_column(column, prose, exact: bool = False) -> pa.Array:
    """A string column cleaned like clean_text (prose) or collapse_text, with Arrow kernels.

    ``prose`` is a bool, or a bool per value.  Arrow trims and turns newlines into spaces; the
    few values that still need work (double spaces, tabs, non-ASCII text, '&' in prose) go
    through the Python function.  ``exact`` also sends values with non-ASCII text at their ends
    there, where Arrow's idea of whitespace could differ from Python's.
    """
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    # Trimming before the newlines become spaces trims the same run (both are whitespace).
    x, odd = _odd_values(pc.utf8_trim_whitespace(arr), amp=prose is not False)
    if exact:
        odd = pc.or_(odd, pc.invert(pc.fill_null(pc.string_is_ascii(arr), True)))
    if pc.any(odd).as_py():
        # The Python cleaners collapse newlines with the other whitespace, so the raw value will do.
        values = pc.filter(arr, odd).to_pylist()
        if isinstance(prose, bool):
            fix = clean_text if prose else collapse_text
            fixed = [fix(v) for v in values]
        else:
            fixed = [clean_text(v) if p else collapse_text(v) for v, p in zip(values, prose[odd.to_numpy(zero_copy_only=False)])]
        x = pc.replace_with_mask(x, odd, pa.array(fixed, pa.string()))
    empty = pc.equal(x, "")
    return pc.if_else(empty, pa.scalar(None, pa.string()), x) if pc.any(empty).as_py() else x


def _texts(columns: dict[str, tuple[list, bool]]) -> dict[str, pa.Array]:
    """Several text columns of a page (values, prose?) cleaned in one pass."""
    sizes = [len(values) for values, _ in columns.values()]
    prose = np.repeat(np.array([p for _, p in columns.values()], bool), sizes)
    joined = pa.array([v for values, _ in columns.values() for v in values], pa.string())
    cleaned = clean_column(joined, prose, exact=True)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return {name: cleaned.slice(start, size) for name, start, size in zip(columns, starts, sizes)}


def _offsets(counts: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _authors_column(raw: pa.Array) -> pa.Array:
    """split_authors over a column of collapsed author strings, as list<struct> (see _PLAIN_NAME)."""
    n = len(raw)
    filled = pc.fill_null(raw, "")
    by_hand = pc.match_substring_regex(filled, _AUTHORS_BY_HAND).to_numpy(zero_copy_only=False).copy()
    items = pc.split_pattern_regex(filled, _AUTHOR_SEP)
    names, parents = pc.list_flatten(items), pc.list_parent_indices(items).to_numpy()
    named = pc.not_equal(names, "").to_numpy(zero_copy_only=False)
    names, parents = names.filter(pa.array(named)), parents[named]
    # _PLAIN_NAME without a regex: split at the last space (the names are collapsed, so single
    # spaces only, no newline), the keyname after it holding no '.'.
    halves = pc.split_pattern(names, " ", max_splits=1, reverse=True)
    sizes = pc.list_value_length(halves).to_numpy(zero_copy_only=False)
    first = _offsets(sizes)[:-1]
    values = pc.list_flatten(halves)
    fore = values.take(pa.array(first))
    key = values.take(pa.array(np.where(sizes == 2, first + 1, first)))
    plain = (sizes == 2) & ~pc.match_substring(key, ".").to_numpy(zero_copy_only=False)
    plain &= pc.not_equal(key, "").to_numpy(zero_copy_only=False)
    by_hand[parents[~plain]] = True
    keep = ~by_hand[parents]
    kept = pa.array(keep)
    fore, key = fore.filter(kept), key.filter(kept)
    # split_name spaces glued initials ("J.P." → "J. P."): every '.' gets a space, doubled ones
    # collapse and a final one loses it, which is the regex \.([^ ]) → ". \1" on names with
    # single spaces, none at either end and no ".." (those go by hand).
    forenames = pc.replace_substring(pc.replace_substring(fore, ".", ". "), ".  ", ". ")
    forenames = pc.utf8_rtrim(forenames, " ")
    structs = pa.StructArray.from_arrays([key, forenames, pa.nulls(len(key), pa.string())],
                                         fields=list(_AUTHORS_TYPE.value_type))
    simple = np.flatnonzero(~by_hand)
    counts = np.bincount(parents[keep], minlength=n)[simple]
    lists = pa.ListArray.from_arrays(pa.array(_offsets(counts)), structs, type=_AUTHORS_TYPE)
    hand = np.flatnonzero(by_hand)
    if not len(hand):
        return lists
    done = pa.array([split_authors(r) for r in raw.take(pa.array(hand)).to_pylist()], _AUTHORS_TYPE)
    order = np.empty(n, np.int64)
    order[simple] = np.arange(len(simple))
    order[hand] = len(simple) + np.arange(len(hand))
    return pa.concat_arrays([lists, done]).take(pa.array(order))


def _ids(raw: pa.Array) -> pa.Array:
    if raw.null_count:
        raise _Unfit("record without <id>")
    ids = pc.struct_field(pc.extract_regex(raw, _NEW_ID_GROUP), "id")
    if ids.null_count:
        missing = np.flatnonzero(ids.is_null().to_numpy(zero_copy_only=False))
        found = []
        for value in raw.take(pa.array(missing)).to_pylist():
            parts = split_arxiv_id(value)
            if parts is None:
                raise _Unfit("unparseable id")
            found.append(parts[0])
        ids = pc.replace_with_mask(ids, ids.is_null(), pa.array(found, pa.string()))
    return ids


def _versions(labels: list, dates: list, sizes: pa.Array, counts: np.ndarray) -> tuple:
    """The versions lists sorted by number, with latest version, first and last dates per record."""
    if not len(counts) or counts.min() == 0:
        raise _Unfit("record without <version>")
    label_text = pa.array(labels, pa.string())
    if not pc.all(pc.match_substring_regex(label_text, _VERSION_NUMBER)).as_py():
        raise _Unfit("version label in another shape")
    version = pc.utf8_slice_codeunits(label_text, 1).cast(pa.int32()).to_numpy()
    stamps = _rfc822_micros(pa.array(dates, pa.string()))
    record = np.repeat(np.arange(len(counts)), counts)
    # By record, then version number; lexsort is stable, as the per-record path's sort.
    order = np.lexsort((version, record))
    version, stamps, sizes = version[order], stamps[order], sizes.take(pa.array(order))
    offsets = _offsets(counts)
    created = pa.array(stamps, pa.timestamp("us", tz="UTC"))
    versions = pa.ListArray.from_arrays(
        pa.array(offsets), pa.StructArray.from_arrays([pa.array(version, pa.int32()), created, sizes],
                                                      fields=list(_VERSIONS_TYPE.value_type)), type=_VERSIONS_TYPE)
    latest = pa.array(version[offsets[1:] - 1], pa.int32())
    first = pa.array(stamps[offsets[:-1]]).cast(pa.timestamp("us", tz="UTC")).cast(pa.date32())
    last = pa.array(np.maximum.reduceat(stamps, offsets[:-1])).cast(pa.timestamp("us", tz="UTC")).cast(pa.date32())
    return versions, latest, first, last


def _rfc822_micros(text: pa.Array) -> np.ndarray:
    """parse_rfc822 over a column of dates in arXiv's shape (else _Unfit), as UTC microseconds."""
    shaped = pc.match_substring_regex(text, _RFC822_SHAPE)
    if shaped.null_count or not pc.all(shaped).as_py():
        raise _Unfit("version date in another shape")
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], np.int32, n + 1, text.offset * 4).astype(np.int64)
    buf = np.frombuffer(text.buffers()[2], np.uint8)
    end = offsets[1:]

    def byte(back):
        return buf[end - back].astype(np.int64)

    def digits(*back):
        value = np.zeros(n, np.int64)
        for b in back:
            value = value * 10 + byte(b) - 48
        return value

    # "Mon, 2 Apr 2007 19:18:42 GMT": 28 bytes with a one-digit day, 29 with two.
    day = digits(23) + np.where(end - offsets[:-1] == 29, digits(24) * 10, 0)
    code = byte(21) << 16 | byte(20) << 8 | byte(19)
    month = np.searchsorted(_MONTH_CODES_SORTED, code)
    month = np.minimum(month, 11)
    if not np.array_equal(_MONTH_CODES_SORTED[month], code):
        raise _Unfit("month name")
    month = _MONTH_OF_SORTED[month]
    months = (digits(17, 16, 15, 14) - 1970) * 12 + month - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    following = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if np.any(day > following - first):
        raise _Unfit("day past the end of its month")
    seconds = (first + day - 1) * 86400 + digits(12, 11) * 3600 + digits(9, 8) * 60 + digits(6, 5)
    return seconds * 1_000_000


def _parse_columnar(content: bytes) -> Page | None:
    """The page through the columnar path, or None when it must go record by record."""
    try:
        return _columnar(content)
    except (_Unfit, ValueError, TypeError):
        # ValueError/TypeError: what lxml raises for names it accepted while parsing; the
        # per-record path quarantines exactly the records concerned.
        return None


# Full tag → local name of the simple fields in the two formats' namespaces, and the arXivRaw
# <version> tag: one dict lookup per child in the common case; any other child (another
# namespace, a processing instruction) is read by local name as the per-record path reads it.
_SIMPLE_TAGS = {f"{{{ns}}}{name}": name for ns in (ARXIV_RAW_NS, ARXIV_NS) for name in _SIMPLE}
_VERSION_TAG = f"{{{ARXIV_RAW_NS}}}version"
_KEYNAME, _FORENAMES = f"{{{ARXIV_NS}}}keyname", f"{{{ARXIV_NS}}}forenames"
_ISO_DAY = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"


def _datestamps(texts: list) -> pa.Array:
    """_parse_datestamp over a page's header datestamps (else _Unfit), as a date32 column."""
    column = pa.array(texts, pa.string())
    # Plain YYYY-MM-DD values, which Arrow's cast reads (and checks) exactly as date.fromisoformat.
    if not column.null_count and pc.all(pc.match_substring_regex(column, _ISO_DAY)).as_py():
        try:
            return column.cast(pa.date32())
        except pa.ArrowInvalid:
            pass
    try:
        return pa.array([_parse_datestamp(text) for text in texts], pa.date32())
    except _Reject:
        raise _Unfit("datestamp") from None


def _columnar(content: bytes) -> Page:
    records: list[dict] = []
    stamps: list = []
    extras: list[list] = []
    formats = set()
    token, deleted = None, 0
    events = etree.iterparse(
        io.BytesIO(content), events=("end",), tag=(_RECORD, _TOKEN, _ERROR),
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
    )
    local, simple_tags = _LOCAL_NAMES, _SIMPLE_TAGS
    for _, elem in events:
        tag = elem.tag
        if tag != _RECORD:
            if tag == _TOKEN:
                token = _token(elem)
                continue
            raise _Unfit("OAI error")
        # Records are <header><metadata>: index first, scan only when they are not.
        header = elem[0] if len(elem) else None
        if header is None or header.tag != _HEADER:
            header = _child(elem, _HEADER)
            if header is None:
                raise _Unfit("no header")
        if header.get("status") == "deleted":
            deleted += 1
        else:
            stamp = None
            for field in header:
                if field.tag == _DATESTAMP:
                    stamp = field.text
                    break
            stamps.append(stamp)
            metadata = elem[1] if len(elem) > 1 else None
            if metadata is None or metadata.tag != _METADATA:
                metadata = _child(elem, _METADATA)
            payload = metadata[0] if metadata is not None and len(metadata) else None
            ptag = payload.tag if payload is not None else None
            if ptag != _RAW_TAG and ptag != _ARXIV_TAG:
                raise _Unfit("metadata")
            raw_format = ptag == _RAW_TAG
            formats.add(raw_format)
            fields: dict = {}
            extra: list = []
            for child in payload:
                ctag = child.tag
                name = simple_tags.get(ctag)
                if name is not None:
                    simple = True
                else:
                    name = "version" if ctag == _VERSION_TAG else local.get(ctag)
                    if name is None:
                        if type(ctag) is not str:
                            continue
                        name = _local(ctag)
                    simple = name in _SIMPLE
                if simple:
                    if not len(child):
                        if name not in fields:
                            fields[name] = child.text
                        continue
                    if name != "authors":
                        raise _Unfit("mixed content")
                if raw_format:
                    if name == "version":
                        sub = {}
                        for part in child:
                            ptag = part.tag
                            if type(ptag) is str:
                                if len(part):
                                    raise _Unfit("mixed content")
                                sub[local.get(ptag) or _local(ptag)] = part.text
                        extra.append((child.get("version"), sub.get("date"), sub.get("size")))
                elif name == "authors":
                    for author in child:
                        if type(author.tag) is not str:
                            continue
                        keyname = forenames = suffix = None
                        for part in author:
                            ptag = part.tag
                            if len(part) and type(ptag) is str:
                                raise _Unfit("mixed content")
                            if ptag == _KEYNAME:
                                keyname = part.text
                            elif ptag == _FORENAMES:
                                forenames = part.text
                            elif type(ptag) is str:
                                pname = local.get(ptag) or _local(ptag)
                                if pname == "keyname":
                                    keyname = part.text
                                elif pname == "forenames":
                                    forenames = part.text
                                elif pname == "suffix":
                                    suffix = part.text
                        extra.append((keyname, forenames, suffix))
            records.append(fields)
            extras.append(extra)
        elem.clear(keep_tail=False)
        parent = elem.getparent()
        while parent is not None and elem.getprevious() is not None:
            del parent[0]
    if not records:
        return Page(rows=[], deleted=deleted, token=token)
    if len(formats) > 1:
        raise _Unfit("both formats on one page")
    if formats.pop():
        table = _raw_table(records, stamps, extras)
    else:
        table = _arxiv_table(records, stamps, extras)
    return Page(table=table, deleted=deleted, token=token)


_PROSE_FIELDS = {"title": "title", "abstract": "abstract", "journal-ref": "journal_ref", "comments": "comments",
                 "report-no": "report_no", "submitter": "submitter"}
_PLAIN_FIELDS = {"id": "id", "doi": "doi", "license": "license", "authors": "authors_raw"}


def _common_columns(records: list[dict], stamps: list, record_format: str, extra_texts: dict) -> dict:
    texts = {column: ([r.get(name) for r in records], True) for name, column in _PROSE_FIELDS.items()}
    texts.update({column: ([r.get(name) for r in records], False) for name, column in _PLAIN_FIELDS.items()})
    texts.update(extra_texts)
    out = _texts(texts)
    categories, primary = _category_columns([r.get("categories") for r in records])
    out.update(
        arxiv_id=_ids(out.pop("id")),
        categories=categories,
        primary_category=primary,
        oai_datestamp=_datestamps(stamps),
        record_format=pa.array([record_format] * len(records), pa.string()),
    )
    return out


# Besides the space, what Python's str.split() splits ASCII text on.
_SPLIT_WHITESPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f]"


def _category_columns(texts: list) -> tuple[pa.Array, pa.Array]:
    """_categories (split, first occurrences kept in order) over a page, and the primary category."""
    n = len(texts)
    column = pc.fill_null(pa.array(texts, pa.string()), "")
    if not pc.all(pc.string_is_ascii(column)).as_py() or pc.any(pc.match_substring_regex(column, _SPLIT_WHITESPACE)).as_py():
        cats = [_categories(text) for text in texts]
        return pa.array(cats, pa.list_(pa.string())), pa.array([c[0] if c else None for c in cats], pa.string())
    parts = pc.split_pattern(column, " ")
    values, parents = pc.list_flatten(parts), pc.list_parent_indices(parts).to_numpy()
    named = pc.not_equal(values, "").to_numpy(zero_copy_only=False)
    values, parents = values.filter(pa.array(named)), parents[named]
    if len(values):
        codes = pc.dictionary_encode(values).indices.to_numpy().astype(np.int64)
        _, firsts = np.unique(parents.astype(np.int64) * (int(codes.max()) + 1) + codes, return_index=True)
        keep = np.zeros(len(values), bool)
        keep[firsts] = True
        values, parents = values.filter(pa.array(keep)), parents[keep]
    counts = np.bincount(parents, minlength=n)
    offsets = _offsets(counts)
    categories = pa.ListArray.from_arrays(pa.array(offsets), values, type=pa.list_(pa.string()))
    return categories, values.take(pa.array(offsets[:-1], mask=counts == 0))


def _raw_table(records: list[dict], stamps: list, extras: list[list]) -> pa.Table:
    counts = np.array([len(e) for e in extras], np.int64)
    flat = [v for e in extras for v in e]
    out = _common_columns(records, stamps, "arXivRaw", {"_size": ([v[2] for v in flat], False)})
    versions, latest, first, last = _versions([(v[0] or "").strip().lower() for v in flat], [v[1] for v in flat],
                                              out.pop("_size"), counts)
    out.update(versions=versions, latest_version=latest, first_version_date=first, last_updated_date=last,
               authors=_authors_column(out["authors_raw"]))
    return pa.Table.from_arrays([out[f.name] for f in ROW_SCHEMA], schema=ROW_SCHEMA)


def _arxiv_table(records: list[dict], stamps: list, extras: list[list]) -> pa.Table:
    first, last = [], []
    for r in records:
        try:
            created = _parse_iso_date(r.get("created"), "created")
            updated = _parse_iso_date(r.get("updated"), "updated") if r.get("updated") else None
        except _Reject:
            raise _Unfit("created/updated") from None
        first.append(created)
        last.append(max(created, updated) if updated else created)
    counts = np.array([len(e) for e in extras], np.int64)
    flat = [v for e in extras for v in e]
    out = _common_columns(records, stamps, "arXiv", {f"_{i}": ([v[i] for v in flat], True) for i in range(3)})
    parts = [out.pop(f"_{i}") for i in range(3)]
    structs = pa.StructArray.from_arrays(parts, fields=list(_AUTHORS_TYPE.value_type))
    offsets = pa.array(_offsets(counts))
    if flat and pc.any(pc.and_(pc.and_(parts[0].is_null(), parts[1].is_null()), parts[2].is_null())).as_py():
        raise _Unfit("author without any name")
    # The arXiv format has no raw author string; rebuild the conventional "Forenames Keyname" list.
    names = pc.binary_join_element_wise(parts[1], parts[0], parts[2], " ", null_handling="skip")
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, names), ", ")
    n = len(records)
    out.update(versions=pa.nulls(n, _VERSIONS_TYPE), latest_version=pa.nulls(n, pa.int32()),
               first_version_date=pa.array(first, pa.date32()), last_updated_date=pa.array(last, pa.date32()),
               authors=pa.ListArray.from_arrays(offsets, structs, type=_AUTHORS_TYPE),
               authors_raw=pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined),
               submitter=pa.nulls(n, pa.string()))
    return pa.Table.from_arrays([out[f.name] for f in ROW_SCHEMA], schema=ROW_SCHEMA)
