"""Which encoding a text upload is in, judged on the whole file without holding it.

In this order: a byte order mark says it (UTF-8, UTF-16 as Excel's "Unicode Text", UTF-32);
then UTF-16 without one, when charset-normalizer recognises it in the first bytes; then UTF-8,
if the whole file decodes as UTF-8 (checked as a stream: the sample may be plain ASCII and an
accented name come a million rows later); else the legacy encoding charset-normalizer reads
around the first byte UTF-8 refused, preferring Windows-1252 (what Excel writes on Western
Windows) whenever it reads that text as plausibly as the others; Windows-1252 if nothing
reads it, since it decodes nearly every byte.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

FALLBACK = "cp1252"
_CHUNK = 1 << 20
_WINDOW = 64 * 1024  # bytes around the first non-UTF-8 byte given to charset-normalizer
_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-16", "utf-32")


def detect_encoding(path: Path, head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    guess = _guess(head)
    if guess in _WIDE and _first_invalid(path, guess) is None:
        return guess
    invalid = _first_invalid(path, "utf-8")
    if invalid is None:
        return "utf-8"
    legacy = _guess(_window(path, invalid)) or FALLBACK
    return legacy if _first_invalid(path, legacy) is None else FALLBACK


def _guess(sample: bytes) -> str | None:
    """charset-normalizer's reading, as a Python codec name; among the encodings that read
    the sample as cleanly as the best, Windows-1252."""
    matches = list(from_bytes(sample))
    if not matches:
        return None
    cleanest = min(m.chaos for m in matches)
    for match in matches:
        if match.chaos == cleanest and FALLBACK in match.could_be_from_charset:
            return FALLBACK
    return codecs.lookup(matches[0].encoding).name


def _first_invalid(path: Path, encoding: str) -> int | None:
    """Where the file stops decoding, or None when all of it decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    try:
        with path.open("rb") as raw:
            while chunk := raw.read(_CHUNK):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return max(0, offset + exc.start)
    return None


def _window(path: Path, at: int) -> bytes:
    with path.open("rb") as raw:
        raw.seek(max(0, at - _WINDOW // 2))
        return raw.read(_WINDOW)
