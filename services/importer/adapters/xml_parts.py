"""One XML part of a workbook parsed as a stream, with what a hostile part could use refused.

Expat reads the part a chunk at a time and reports elements by local name (namespaces
dropped: some writers use prefixes, Strict OOXML other namespaces). Refused, before they cost
anything: any DTD or entity declaration (entity expansion and external entities need one and
no spreadsheet application writes one), nesting deeper than the limit, and a single tag,
attribute or comment longer than any workbook writes, which expat would have to hold whole.
Text is never held by the parser: it streams to the handler, which bounds what it keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn, TypeVar
from xml.parsers import expat

from services.importer.domain.errors import UnreadableFile, UnsafeXml, XmlTokenTooLong, XmlTooDeep

CHUNK_BYTES = 64 * 1024
# The longest run the parser may hold unparsed; text does not count (it streams).
MAX_TOKEN_BYTES = 1 << 20
_NAMESPACE_END = "}"
T = TypeVar("T")


Start = Callable[[dict[str, str]], None]
End = Callable[[], None]


class XmlHandler:
    """Receives a part's elements by local name: `starts` and `ends` map the names it wants
    to callbacks (the others cost nothing more); `text` gets the text, in pieces."""

    def __init__(self, starts: dict[str, Start], ends: dict[str, End] | None = None) -> None:
        self.starts = starts
        self.ends = ends or {}

    def text(self, data: str) -> None:
        pass


_MAX_NAMES = 4096  # element names remembered (a hostile part may use millions)


class _Bounded:
    """Between expat and a handler: counts depth, finds callbacks by qualified name."""

    def __init__(self, handler: XmlHandler, part: str, max_depth: int) -> None:
        self.handler = handler
        self.part = part
        self.max_depth = max_depth
        self.depth = 0
        self.starts: dict[str, Start | None] = {}
        self.ends: dict[str, End | None] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise XmlTooDeep(
                f"{self.part} nests elements deeper than {self.max_depth} levels",
                part=self.part,
                limit=self.max_depth,
            )
        try:
            callback = self.starts[name]
        except KeyError:
            callback = _remember(self.starts, name, self.handler.starts)
        if callback is not None:
            callback(attrs)

    def end(self, name: str) -> None:
        self.depth -= 1
        try:
            callback = self.ends[name]
        except KeyError:
            callback = _remember(self.ends, name, self.handler.ends)
        if callback is not None:
            callback()

    def refuse_declarations(self, *_: Any) -> NoReturn:
        raise UnsafeXml(
            f"{self.part} declares a DTD or entities, which workbooks never need", part=self.part
        )


def _remember(cache: dict[str, T | None], name: str, wanted: dict[str, T]) -> T | None:
    callback = wanted.get(name[name.rfind(_NAMESPACE_END) + 1 :])
    if len(cache) < _MAX_NAMES:
        cache[name] = callback
    return callback


def _parser(bounded: _Bounded) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=_NAMESPACE_END)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = bounded.refuse_declarations
    parser.EntityDeclHandler = bounded.refuse_declarations
    parser.UnparsedEntityDeclHandler = bounded.refuse_declarations
    parser.ExternalEntityRefHandler = bounded.refuse_declarations
    parser.StartElementHandler = bounded.start
    parser.EndElementHandler = bounded.end
    parser.CharacterDataHandler = bounded.handler.text
    parser.buffer_text = True
    return parser


def parse_part(stream: IO[bytes], part: str, handler: XmlHandler, max_depth: int) -> Iterator[None]:
    """Feeds the part to the handler, yielding after each chunk so that the caller can take
    what the handler made of it so far."""
    bounded = _Bounded(handler, part, max_depth)
    parser = _parser(bounded)
    fed = 0
    try:
        while chunk := stream.read(CHUNK_BYTES):
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - parser.CurrentByteIndex > MAX_TOKEN_BYTES:
                raise XmlTokenTooLong(
                    f"{part} has a tag, attribute or comment over {MAX_TOKEN_BYTES:,} bytes",
                    part=part,
                    limit_bytes=MAX_TOKEN_BYTES,
                )
            yield
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise UnreadableFile(f"{part} is not valid XML: {exc}", part=part) from None
    yield


def parse_whole(stream: IO[bytes], part: str, handler: XmlHandler, max_depth: int) -> None:
    for _ in parse_part(stream, part, handler, max_depth):
        pass
