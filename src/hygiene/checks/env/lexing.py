"""Masking source text so regexes see only code: comments blanked, string contents hidden.

``mask`` keeps every offset and newline, so a match in the masked text maps back to the original
text (a string literal's content is read from the original at the same span). Interpolated code
inside strings (JS ``${…}``, Ruby ``#{…}``) stays code. Known approximation: JavaScript regex
literals are not recognised (a quote inside ``/…/`` can hide the rest of the line).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

HIDDEN = "\x00"


@dataclass(frozen=True)
class StringKind:
    """A string literal: its opening and closing delimiters, escapes, interpolation opener;
    ``single_line`` literals end at a newline (an unterminated one hides one line, not the
    rest of the file)."""

    open: str
    close: str
    escapes: bool = True
    interpolation: str | None = None
    single_line: bool = False


@dataclass(frozen=True)
class Syntax:
    """Comment and string syntax of a language family."""

    line_comments: tuple[str, ...] = ("//",)
    block_comments: tuple[tuple[str, str], ...] = (("/*", "*/"),)
    strings: tuple[StringKind, ...] = field(default_factory=tuple)
    regex_literals: bool = False  # JavaScript's /…/ after an operator or an opening bracket


C_STRINGS = (StringKind('"', '"'), StringKind("'", "'"))
LINE_STRINGS = (StringKind('"', '"', single_line=True), StringKind("'", "'", single_line=True))
JAVASCRIPT = Syntax(
    strings=(*LINE_STRINGS, StringKind("`", "`", interpolation="${")), regex_literals=True
)
GO = Syntax(strings=(*LINE_STRINGS, StringKind("`", "`", escapes=False)))
JAVA = Syntax(strings=(StringKind('"""', '"""'), *LINE_STRINGS))
RUST = Syntax(
    strings=(
        StringKind('r#"', '"#', escapes=False),
        StringKind('r"', '"', escapes=False),
        StringKind('"', '"'),
    )
)
RUBY = Syntax(
    line_comments=("#",),
    block_comments=(("=begin", "=end"),),
    strings=(StringKind('"', '"', interpolation="#{"), StringKind("'", "'")),
)

PHP = Syntax(line_comments=("//", "#"), strings=C_STRINGS)
CSHARP = Syntax(
    strings=(
        StringKind('"""', '"""', escapes=False),
        StringKind('@"', '"', escapes=False),
        *C_STRINGS,
    )
)
FSHARP = Syntax(
    block_comments=(("(*", "*)"),),
    strings=(StringKind('"""', '"""', escapes=False), StringKind('"', '"')),
)
VISUAL_BASIC = Syntax(
    line_comments=("'",), block_comments=(), strings=(StringKind('"', '"', escapes=False),)
)
ELIXIR = Syntax(
    line_comments=("#",),
    block_comments=(),
    strings=(
        StringKind('"""', '"""', interpolation="#{"),
        StringKind('"', '"', interpolation="#{"),
        StringKind("'", "'"),
    ),
)


_NOT_NEWLINE = re.compile(r"[^\n]")


def _fill(segment: str, fill: str) -> str:
    return _NOT_NEWLINE.sub(fill, segment)


@lru_cache(maxsize=16)
def _code_pattern(syntax: Syntax) -> re.Pattern[str]:
    tokens = [
        *syntax.line_comments,
        *(b[0] for b in syntax.block_comments),
        *(k.open for k in syntax.strings),
    ]
    alternatives = sorted(tokens, key=len, reverse=True)
    return re.compile("|".join([*(re.escape(t) for t in alternatives), r"\{", r"\}"]))


@lru_cache(maxsize=32)
def _string_pattern(kind: StringKind) -> re.Pattern[str]:
    parts = [re.escape(kind.close)]
    if kind.single_line:
        parts.append("\n")
    if kind.escapes:
        parts.insert(0, r"\\.?")
    if kind.interpolation:
        parts.append(re.escape(kind.interpolation))
    return re.compile("|".join(parts), re.DOTALL)


def _without(text: str) -> str:
    """A regex for one character that does not start ``text`` (or does, but not all of it)."""
    if len(text) == 1:
        return ""
    return f"|{re.escape(text[0])}(?!{re.escape(text[1:])})"


_REGEX_LITERAL = (
    r"(?P<rectx>(?:[(,=:\[!&|?{};]|\breturn\b)[ \t]*)"
    r"(?P<re>/(?![/*])(?P<rebody>(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n\[])+)/[a-z]*)"
)


@lru_cache(maxsize=16)
def _fast_pattern(syntax: Syntax) -> re.Pattern[str]:
    """Whole comments and whole strings (without interpolation) in one match each."""
    parts = []
    if syntax.line_comments:
        openers = "|".join(re.escape(c) for c in syntax.line_comments)
        parts.append(f"(?P<lc>(?:{openers})[^\\n]*)")
    if syntax.block_comments:
        blocks = "|".join(
            f"{re.escape(o)}[\\s\\S]*?(?:{re.escape(c)}|\\Z)" for o, c in syntax.block_comments
        )
        parts.append(f"(?P<bc>{blocks})")
    kinds = sorted(syntax.strings, key=lambda k: -len(k.open))
    whole = []
    for kind in kinds:
        stops = {kind.close[0]}
        if kind.single_line:
            stops.add("\n")
        if kind.escapes:
            stops.add("\\")
        if kind.interpolation:
            stops.add(kind.interpolation[0])
        plain = "[^" + "".join(re.escape(c) for c in sorted(stops)) + "]"
        body = (r"\\[\s\S]|" if kind.escapes else "") + plain + _without(kind.close)
        if kind.interpolation:
            body += _without(kind.interpolation)
        whole.append(f"{re.escape(kind.open)}(?:{body})*{re.escape(kind.close)}")
    if syntax.regex_literals:
        parts.append(_REGEX_LITERAL)
    if whole:
        parts.append("(?P<str>" + "|".join(whole) + ")")
        parts.append("(?P<open>" + "|".join(re.escape(k.open) for k in kinds) + ")")
    return re.compile("|".join(parts))


def mask(text: str, syntax: Syntax) -> str:
    """``text`` with comments turned into spaces and string contents into ``HIDDEN``.

    Outside interpolations one regex match consumes a whole comment or string; a string with
    interpolated code (or an unterminated one) is walked by ``_mask_nested``.
    """
    fast = _fast_pattern(syntax)
    kinds = sorted(syntax.strings, key=lambda k: -len(k.open))
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        m = fast.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        token = m.group()
        if m.lastgroup in ("lc", "bc"):
            out.append(_fill(token, " "))
            i = m.end()
        elif m.lastgroup == "re":
            body = m["rebody"]
            out.append(m["rectx"] + "/" + _fill(body, HIDDEN) + m["re"][len(body) + 1 :])
            i = m.end()
        elif m.lastgroup == "str":
            kind = next(k for k in kinds if token.startswith(k.open))
            inner = token[len(kind.open) : len(token) - len(kind.close)]
            out.append(kind.open + _fill(inner, HIDDEN) + kind.close)
            i = m.end()
        else:
            kind = next(k for k in kinds if token == k.open)
            out.append(token)
            i = _mask_nested(text, m.end(), kind, syntax, out)
    return "".join(out)


def _mask_nested(text: str, i: int, kind: StringKind, syntax: Syntax, out: list[str]) -> int:
    """Mask from inside a string of ``kind`` until that string closes; returns the offset after it."""
    code_re = _code_pattern(syntax)
    line_comments = set(syntax.line_comments)
    blocks = dict(syntax.block_comments)
    kinds = {k.open: k for k in syntax.strings}
    # frames: an int is a code frame (its brace depth), a StringKind a string frame
    frames: list[int | StringKind] = [kind]
    n = len(text)
    while i < n and frames:
        top = frames[-1]
        if isinstance(top, int):
            m = code_re.search(text, i)
            if m is None:
                out.append(text[i:])
                return n
            out.append(text[i : m.start()])
            token = m.group()
            if token in line_comments:
                end = text.find("\n", m.start())
                end = n if end < 0 else end
                out.append(_fill(text[m.start() : end], " "))
                i = end
            elif token in blocks:
                end = text.find(blocks[token], m.end())
                end = n if end < 0 else end + len(blocks[token])
                out.append(_fill(text[m.start() : end], " "))
                i = end
            elif token in kinds:
                out.append(token)
                frames.append(kinds[token])
                i = m.end()
            else:
                out.append(token)
                if token == "{":
                    frames[-1] = top + 1
                elif top == 0:
                    frames.pop()  # the interpolation's closing brace: back into the string
                else:
                    frames[-1] = top - 1
                i = m.end()
            continue
        m = _string_pattern(top).search(text, i)
        if m is None:
            out.append(_fill(text[i:], HIDDEN))
            return n
        out.append(_fill(text[i : m.start()], HIDDEN))
        token = m.group()
        if top.escapes and token.startswith("\\"):
            out.append(_fill(token, HIDDEN))
        elif token == top.close or (token == "\n" and top.single_line):
            out.append(token)
            frames.pop()
        else:  # the interpolation opener: code until its closing brace
            out.append(token)
            frames.append(0)
        i = m.end()
    return i


class LineIndex:
    """Offsets → 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line(self, offset: int) -> int:
        """The line that holds ``offset``."""
        return bisect.bisect_right(self._starts, offset)


NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NAME_RE = re.compile(rf"^{NAME}$")


def literal_name(original: str, start: int, end: int) -> str | None:
    """The variable name held by a string literal's content, or None if it is not a plain name
    (an interpolated or computed string)."""
    content = original[start:end]
    return content if _NAME_RE.match(content) else None


_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_PAIRS.values())


def closing(code: str, start: int) -> int:
    """The offset of the bracket closing the one at ``code[start]`` (masked code: strings and
    comments cannot hold brackets), or ``len(code)`` when it is never closed."""
    depth = 0
    for i in range(start, len(code)):
        ch = code[i]
        if ch in _PAIRS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
            if depth == 0:
                return i
    return len(code)


def top_level_parts(code: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the comma-separated parts of ``code[start:end]`` at bracket depth 0 (an
    argument list's arguments, an object literal's members), blank parts left out."""
    parts: list[tuple[int, int]] = []
    depth, at = 0, start
    for i in range(start, end):
        ch = code[i]
        if ch in _PAIRS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append((at, i))
            at = i + 1
    parts.append((at, end))
    return [(a, b) for a, b in parts if code[a:b].strip()]


_KEY = re.compile(
    rf"\s*(?:(?P<q>['\"])(?P<quoted>{HIDDEN}*)(?P=q)|(?P<bare>{NAME}))\s*(?P<sep>:|\(|=|$)"
)


def object_keys(code: str, original: str, brace: int) -> list[tuple[str, int, tuple[int, int]]]:
    """The literal keys of the object literal whose ``{`` is at ``brace``: (name, offset of
    the key, span of the member's value). Shorthand members (``{ X }``) count, spreads and
    computed keys do not."""
    end = closing(code, brace)
    keys = []
    for a, b in top_level_parts(code, brace + 1, end):
        m = _KEY.match(code, a, b)
        if m is None:
            continue
        if m["bare"]:
            name: str | None = m["bare"]
            offset = m.start("bare")
        else:
            offset = m.start("quoted")
            name = literal_name(original, offset, m.end("quoted"))
        if name:
            keys.append((name, offset, (m.end(), b)))
    return keys


def string_at(code: str, original: str, start: int, end: int) -> str | None:
    """The name held by ``code[start:end]`` when that is exactly one quoted literal, else None."""
    piece = code[start:end].strip()
    if len(piece) < 2 or piece[0] not in "'\"`" or piece[-1] != piece[0]:
        return None
    if HIDDEN * (len(piece) - 2) != piece[1:-1]:
        return None
    first = start + code[start:end].index(piece[0]) + 1
    return literal_name(original, first, first + len(piece) - 2)
