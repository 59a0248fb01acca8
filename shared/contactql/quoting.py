"""Quoted values as RapidPro writes and reads them: Go's double-quoted string literals.

RapidPro prints a query's values with Go's `strconv.Quote` and reads them back with
`strconv.Unquote`, keeping the text between the quotes as it is when its escapes are not valid
Go. Reading and writing the same way here is what lets a query printed by either tool mean the
same in the other, whatever characters its values hold.
"""

from __future__ import annotations

_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_SIMPLE_BACK = {v: k for k, v in _SIMPLE.items()}
_HEX_WIDTH = {"x": 2, "u": 4, "U": 8}


class _NotGo(ValueError):
    """The text between the quotes is not a valid Go string literal's body."""


def go_quote(value: str) -> str:
    """`strconv.Quote`: printable characters as they are, the rest escaped."""
    out = ['"']
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in _SIMPLE_BACK:
            out.append("\\" + _SIMPLE_BACK[char])
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def go_unquote(body: str) -> str:
    """The value of a quoted literal whose text between the quotes is `body`: Go's escapes
    decoded, or `body` itself when they are not valid Go (as RapidPro falls back)."""
    if "\\" not in body and "\n" not in body:
        return body
    try:
        return _decode(body)
    except _NotGo:
        return body


def _decode(body: str) -> str:
    # Bytes, because `\x` and octal escapes give bytes that may only together make a character.
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\n":
            raise _NotGo("a newline inside quotes")
        if char != "\\":
            out += char.encode()
            i += 1
            continue
        if i + 1 >= len(body):
            raise _NotGo("a lone backslash")
        kind = body[i + 1]
        if kind in _SIMPLE:
            out += _SIMPLE[kind].encode()
            i += 2
        elif kind in '"\\':
            out += kind.encode()
            i += 2
        elif kind in _HEX_WIDTH:
            digits = body[i + 2 : i + 2 + _HEX_WIDTH[kind]]
            code = _hex(digits, _HEX_WIDTH[kind])
            if kind == "x":
                out.append(code)
            elif code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _NotGo("not a character")
            else:
                out += chr(code).encode()
            i += 2 + _HEX_WIDTH[kind]
        elif kind in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or any(d not in "01234567" for d in digits):
                raise _NotGo("an octal escape needs three digits")
            code = int(digits, 8)
            if code > 0xFF:
                raise _NotGo("an octal escape beyond a byte")
            out.append(code)
            i += 4
        else:
            raise _NotGo(f"unknown escape \\{kind}")
    return out.decode("utf-8", errors="replace")


def _hex(digits: str, width: int) -> int:
    if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
        raise _NotGo("a hex escape needs its digits")
    return int(digits, 16)
