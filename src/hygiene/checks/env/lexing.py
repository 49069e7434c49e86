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


def mask(text: str, syntax: Syntax) -> str:
    """``text`` with comments turned into spaces and string contents into ``HIDDEN``."""
    out = list(text)
    kinds = sorted(syntax.strings, key=lambda k: -len(k.open))
    # frames: ("code", brace depth) or ("str", StringKind)
    frames: list[tuple[str, object]] = [("code", 0)]
    i, n = 0, len(text)

    def blank(start: int, end: int, fill: str) -> None:
        for j in range(start, end):
            if out[j] != "\n":
                out[j] = fill

    while i < n:
        kind, state = frames[-1]
        if kind == "code":
            depth = int(state)  # type: ignore[call-overload]
            comment = next((c for c in syntax.line_comments if text.startswith(c, i)), None)
            if comment is not None:
                end = text.find("\n", i)
                end = n if end < 0 else end
                blank(i, end, " ")
                i = end
                continue
            block = next((b for b in syntax.block_comments if text.startswith(b[0], i)), None)
            if block is not None:
                end = text.find(block[1], i + len(block[0]))
                end = n if end < 0 else end + len(block[1])
                blank(i, end, " ")
                i = end
                continue
            opened = next((k for k in kinds if text.startswith(k.open, i)), None)
            if opened is not None:
                frames.append(("str", opened))
                i += len(opened.open)
                continue
            ch = text[i]
            if ch == "{":
                frames[-1] = ("code", depth + 1)
            elif ch == "}":
                if depth == 0 and len(frames) > 1:
                    frames.pop()
                else:
                    frames[-1] = ("code", max(depth - 1, 0))
            i += 1
            continue
        literal: StringKind = state  # type: ignore[assignment]
        if literal.escapes and text[i] == "\\":
            blank(i, min(i + 2, n), HIDDEN)
            i += 2
            continue
        if text.startswith(literal.close, i):
            frames.pop()
            i += len(literal.close)
            continue
        if literal.interpolation and text.startswith(literal.interpolation, i):
            frames.append(("code", 0))
            i += len(literal.interpolation)
            continue
        if text[i] != "\n":
            out[i] = HIDDEN
        i += 1
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
