"""Safe, tolerant XML parsing shared by the GPX and TCX readers.

Activity files come from anywhere, so :mod:`defusedxml` first reads the file's prolog,
where any document type declaration must stand, and refuses entity declarations (the
"billion laughs" expansion bomb and its quadratic cousin) and external entities (XXE: an
entity pointing at ``file:///etc/passwd`` is never read). With no entity declared, the body
cannot expand or reach outside the file, so it is then parsed by the standard library's C
parser, several times faster than defusedxml's pure-Python one on large tracks. The parse
counts element depth as it goes and stops at :data:`MAX_DEPTH`, long before a deeply
nested file could exhaust memory or recursion in later code. Every refusal is a
:class:`~runback.errors.ReadError` naming the file.

What real exports get wrong and this module forgives:

- a UTF-8 byte-order mark, blank lines before the XML declaration, and a missing
  encoding declaration (UTF-8 is assumed, as the XML standard says);
- bytes that are not UTF-8 although nothing else is declared: re-read as Windows-1252;
- a namespace prefix used but never declared (``<gpxtpx:hr>`` in a file without
  ``xmlns:gpxtpx``): the prefix is declared on the root element and the file re-read;
- namespaces themselves: Garmin's TrackPointExtension v1 and v2 and ActivityExtension v2
  appear under ``gpxtpx:``, ``ns3:``, ``ns2:``, a default namespace or none at all. The
  returned tree carries local names only (``hr``, ``TPX``, ``RunCadence``), so readers
  match on names and never on prefixes or namespace URIs.

:func:`xml_text` makes the same checks without building a tree, for a reader that scans
the text itself (GPX track points): the standard library's expat parser reads the whole
file with no Python callback, which proves it well-formed at C speed. With no tree there
is nothing deep nesting could exhaust; whatever the reader then builds a tree from goes
through :func:`parse_xml` and its depth limit.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

import defusedxml.ElementTree as DET
import pandas as pd
from defusedxml import DefusedXmlException

from runback.errors import ReadError

__all__ = [
    "MAX_DEPTH",
    "PrologCheck",
    "parse_xml",
    "xml_text",
    "local_name",
    "child_text",
    "child_float",
    "to_float",
    "parse_times",
    "utc_offset_s",
]

#: Deepest element nesting accepted. GPX and TCX files nest 7 to 10 levels deep.
MAX_DEPTH = 64

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_DECL = re.compile(rb"^<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_PREFIX_USE = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[\w.-]+\s*=")
_PREFIX_DECL = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)\s*=")
_ROOT_START = re.compile(rb"<(?![?!])[A-Za-z_][\w.:-]*")
_CHUNK = 1 << 16
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``; a name without namespace is returned as is."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def parse_xml(data: bytes, name: str) -> ET.Element:
    """Parse ``data`` safely and return the root element with namespaces stripped.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        What error messages call the file.

    Returns
    -------
    xml.etree.ElementTree.Element
        The root; every tag and attribute name is a local name (no ``{namespace}``).

    Raises
    ------
    ReadError
        "not XML" for bytes that are not XML at all; "malformed XML" with the line and
        column for broken XML; a refusal for entity declarations, external entities and
        nesting deeper than :data:`MAX_DEPTH`.
    """
    data = _clean_start(data)
    if not data.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        raise ReadError(name, "not XML (the file does not start with '<')", 0)
    try:
        return _parse(data, name)
    except (LookupError, ValueError) as e:  # expat: an encoding Python lacks or refuses
        raise _encoding_error(data, name) from e
    except ET.ParseError as first:
        retry = _repaired(data, str(first))
        if retry is None:
            raise _parse_error(name, first) from first
        try:
            return _parse(retry, name)
        except ET.ParseError:
            raise _parse_error(name, first) from first


def xml_text(data: bytes, name: str) -> str:
    """Check ``data`` as :func:`parse_xml` does, without building a tree, and return its text.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        What error messages call the file.

    Returns
    -------
    str
        The document decoded, from its first ``<``, with comments removed and CDATA
        sections written as escaped text, so that a scan of the text sees the elements an
        XML parser sees. Element and attribute names keep their namespace prefixes.

    Raises
    ------
    ReadError
        As :func:`parse_xml`: not XML, malformed XML (line and column), an encoding that
        cannot be read, entity declarations or external entities. Nesting depth is not
        limited here, as no tree is built: a caller that builds a tree from (part of) the
        text does so with :func:`parse_xml`, which refuses nesting deeper than
        :data:`MAX_DEPTH`.
    """
    data = _clean_start(data)
    if not data.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        raise ReadError(name, "not XML (the file does not start with '<')", 0)
    try:
        _check_prolog(data, name)
        _well_formed(data)
    except (LookupError, ValueError) as e:
        raise _encoding_error(data, name) from e
    except (expat.ExpatError, ET.ParseError) as first:
        retry = _repaired(data, str(first))
        if retry is None:
            raise _any_error(name, first) from first
        try:
            _check_prolog(retry, name)
            _well_formed(retry)
        except (LookupError, ValueError, expat.ExpatError, ET.ParseError):
            raise _any_error(name, first) from first
        data = retry
    text = _decoded(data)
    if "<!--" in text:
        text = _COMMENT.sub("", text)
    if "<![CDATA[" in text:
        text = _CDATA.sub(lambda m: _escape(m.group(1)), text)
    return text


def child_text(el: ET.Element | None, tag: str) -> str | None:
    """Stripped text of the first child ``tag`` of ``el``, or None when absent or empty."""
    if el is None:
        return None
    child = el.find(tag)
    if child is None or child.text is None:
        return None
    text = child.text.strip()
    return text or None


def child_float(el: ET.Element | None, tag: str) -> float:
    """Float value of the first child ``tag`` of ``el``; NaN when absent or not a number."""
    return to_float(child_text(el, tag))


def to_float(text: str | None) -> float:
    """``text`` as a float; NaN when None, empty or not a number."""
    if text is None:
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return float("nan")


def parse_times(texts: list[str | None]) -> pd.DatetimeIndex:
    """Parse xsd:dateTime strings to UTC; times without an offset are taken as UTC.

    GPX 1.1 and TCX both define times as UTC, so a naive time is read as UTC rather than
    local. Unparseable or missing strings become NaT.
    """
    return pd.DatetimeIndex(pd.to_datetime(pd.Series(texts, dtype=object), utc=True,
                                           format="ISO8601", errors="coerce"))


def utc_offset_s(text: str | None) -> float:
    """The UTC offset a time string states (``+02:00`` -> 7200.0); NaN for ``Z`` or none."""
    m = _OFFSET.search(text.strip()) if text else None
    if m is None:
        return float("nan")
    sign = -1.0 if m.group(1) == "-" else 1.0
    return sign * (int(m.group(2)) * 3600 + int(m.group(3)) * 60)


def _clean_start(data: bytes) -> bytes:
    """Drop a UTF-8 byte-order mark and blank space before the first '<'."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    return data.lstrip(b" \t\r\n")


class _RootReached(Exception):
    """Raised by :class:`_PrologGuard` at the root element: the prolog passed."""


class _PrologGuard:
    """Parser target that stops the defusedxml check at the first element."""

    def start(self, tag, attrib):
        raise _RootReached


def _check_prolog(data: bytes, name: str) -> None:
    """Run defusedxml over the prolog, where any DTD and entity declaration must be.

    Entities can only be declared in the document type declaration, which precedes the
    root element, so once defusedxml has read up to the root element without objection the
    rest of the file cannot expand an entity or reach outside the file.
    """
    parser = DET.XMLParser(target=_PrologGuard(), forbid_dtd=False, forbid_entities=True,
                           forbid_external=True)
    try:
        parser.feed(data)
    except _RootReached:
        return
    except DefusedXmlException as e:
        raise ReadError(name, "XML with entity declarations or external references is "
                              f"refused as unsafe ({type(e).__name__})") from e


class PrologCheck:
    """:func:`_check_prolog` for a file read in pieces (a stream too large to hold).

    Feed the pieces in order until :attr:`done`; the check ends at the root element, so
    it reads only the prolog however large the file.

    Parameters
    ----------
    name : str
        What error messages call the file.
    """

    def __init__(self, name: str):
        self.name = name
        self.done = False
        self._parser = DET.XMLParser(target=_PrologGuard(), forbid_dtd=False,
                                     forbid_entities=True, forbid_external=True)

    def feed(self, data: bytes) -> None:
        """Check the next piece; raises :class:`ReadError` for an entity or external
        reference."""
        if self.done:
            return
        try:
            self._parser.feed(data)
        except _RootReached:
            self.done = True
        except DefusedXmlException as e:
            raise ReadError(self.name, "XML with entity declarations or external references "
                                       f"is refused as unsafe ({type(e).__name__})") from e
        except ET.ParseError:
            self.done = True  # broken XML: the parse that follows reports it

    def close(self) -> None:
        """Nothing more to feed (the parse that follows reports a file without a root)."""
        self.done = True


def _parse(data: bytes, name: str) -> ET.Element:
    """Parse after the defusedxml prolog check, stripping namespaces and refusing depth."""
    _check_prolog(data, name)
    parser = ET.XMLPullParser(events=("start", "end"))
    depth = 0
    root = None
    names: dict[str, str] = {}
    for i in range(0, len(data), _CHUNK):
        parser.feed(data[i:i + _CHUNK])
        for event, el in parser.read_events():
            if event == "start":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ReadError(name, f"XML nested deeper than {MAX_DEPTH} elements; "
                                          "refused as unsafe", f"element <{local_name(el.tag)}>")
                if root is None:
                    root = el
                tag = el.tag
                if tag[:1] == "{":
                    el.tag = names.get(tag) or names.setdefault(tag, local_name(tag))
                if el.attrib and any(k[:1] == "{" for k in el.attrib):
                    el.attrib = {local_name(k): v for k, v in el.attrib.items()}
            else:
                depth -= 1
    parser.close()
    if root is None:
        raise ReadError(name, "not XML (no root element)", 0)
    return root


def _repaired(data: bytes, message: str) -> bytes | None:
    """A corrected copy of ``data`` for the two faults worth a second try, else None."""
    if "unbound prefix" in message:
        declared = set(_PREFIX_DECL.findall(data)) | {b"xml", b"xmlns"}
        used = {a or b for a, b in _PREFIX_USE.findall(data)} - declared
        root = _ROOT_START.search(data)
        if not used or root is None:
            return None
        decls = b"".join(b' xmlns:%s="urn:runback:undeclared:%s"' % (p, p) for p in sorted(used))
        return data[:root.end()] + decls + data[root.end():]
    if "invalid token" in message or "encoding" in message:
        try:
            data.decode("utf-8")
            return None
        except UnicodeDecodeError:
            pass
        decl = _XML_DECL.match(data)
        declared = _ENCODING.search(decl.group(0)) if decl else None
        if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            return None
        body = data[decl.end():] if decl else data
        return b'<?xml version="1.0" encoding="UTF-8"?>' + body.decode("cp1252", "replace").encode()
    return None


def _parse_error(name: str, e: ET.ParseError) -> ReadError:
    line, col = getattr(e, "position", (None, None))
    reason = str(e).split(":")[0]
    where = f"line {line}, column {col}" if line is not None else None
    if line == 1 and col is not None and col <= 1:
        return ReadError(name, f"not XML ({reason})", where)
    return ReadError(name, f"malformed XML: {reason}", where)


def _encoding_error(data: bytes, name: str) -> ReadError:
    declared = _XML_DECL.match(data)
    encoding = _ENCODING.search(declared.group(0)) if declared else None
    what = repr(encoding.group(1).decode("ascii")) if encoding else "its encoding"
    return ReadError(name, f"XML declares an encoding that cannot be read ({what})")


def _well_formed(data: bytes) -> None:
    """Parse ``data`` with expat and no handlers: raises ExpatError where it is not XML.

    Without namespace processing an undeclared prefix is no fault, and with no handler
    set the parse runs in C. The prolog check has refused every entity declaration, so
    nothing expands.
    """
    parser = expat.ParserCreate()
    parser.Parse(data, True)


def _any_error(name: str, e: expat.ExpatError | ET.ParseError) -> ReadError:
    """The ReadError of a parse error from expat or from ElementTree (the prolog check)."""
    return _parse_error(name, e) if isinstance(e, ET.ParseError) else _expat_error(name, e)


def _expat_error(name: str, e: expat.ExpatError) -> ReadError:
    reason = str(e).split(":")[0]
    where = f"line {e.lineno}, column {e.offset}"
    if e.lineno == 1 and e.offset <= 1:
        return ReadError(name, f"not XML ({reason})", where)
    return ReadError(name, f"malformed XML: {reason}", where)


def _declared_encoding(data: bytes) -> str:
    """The Python codec of ``data``: its byte-order mark, else its declaration, else UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    declared = _XML_DECL.match(data)
    encoding = _ENCODING.search(declared.group(0)) if declared else None
    if encoding is None:
        return "utf-8"
    try:
        return codecs.lookup(encoding.group(1).decode("ascii")).name
    except LookupError:
        return "utf-8"


def _decoded(data: bytes) -> str:
    """The text of ``data`` (which expat has read), from its first element or declaration."""
    return data.decode(_declared_encoding(data), "replace").lstrip("\ufeff \t\r\n")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
