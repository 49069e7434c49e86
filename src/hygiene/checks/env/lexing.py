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
    """A string literal: its opening and closing delimiters, escapes, interpolation opener."""

    open: str
    close: str
    escapes: bool = True
    interpolation: str | None = None


@dataclass(frozen=True)
class Syntax:
    """Comment and string syntax of a language family."""

    line_comments: tuple[str, ...] = ("//",)
    block_comments: tuple[tuple[str, str], ...] = (("/*", "*/"),)
    strings: tuple[StringKind, ...] = field(default_factory=tuple)


C_STRINGS = (StringKind('"', '"'), StringKind("'", "'"))
JAVASCRIPT = Syntax(strings=(*C_STRINGS, StringKind("`", "`", interpolation="${")))
GO = Syntax(strings=(*C_STRINGS, StringKind("`", "`", escapes=False)))
JAVA = Syntax(strings=(StringKind('"""', '"""'), *C_STRINGS))
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
    if kind.escapes:
        parts.insert(0, r"\\.?")
    if kind.interpolation:
        parts.append(re.escape(kind.interpolation))
    return re.compile("|".join(parts), re.DOTALL)


def mask(text: str, syntax: Syntax) -> str:
    """``text`` with comments turned into spaces and string contents into ``HIDDEN``."""
    code_re = _code_pattern(syntax)
    line_comments = set(syntax.line_comments)
    blocks = dict(syntax.block_comments)
    kinds = {k.open: k for k in syntax.strings}
    out: list[str] = []
    # frames: an int is a code frame (its brace depth), a StringKind a string frame
    frames: list[int | StringKind] = [0]
    i, n = 0, len(text)
    while i < n:
        top = frames[-1]
        if isinstance(top, int):
            m = code_re.search(text, i)
            if m is None:
                out.append(text[i:])
                break
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
                elif top == 0 and len(frames) > 1:
                    frames.pop()
                else:
                    frames[-1] = max(top - 1, 0)
                i = m.end()
            continue
        m = _string_pattern(top).search(text, i)
        if m is None:
            out.append(_fill(text[i:], HIDDEN))
            break
        out.append(_fill(text[i : m.start()], HIDDEN))
        token = m.group()
        if top.escapes and token.startswith("\\"):
            out.append(_fill(token, HIDDEN))
        elif token == top.close:
            out.append(token)
            frames.pop()
        else:  # the interpolation opener: code until its closing brace
            out.append(token)
            frames.append(0)
        i = m.end()
    return "".join(out)


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
