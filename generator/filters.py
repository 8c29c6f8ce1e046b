"""The filters that make spec text inert in generated code and Markdown: the security boundary.

Autoescaping is off in the templates (they write Python, not HTML), so every spec-provided
string reaches the output through one of these: ``py`` (a Python literal via ``repr``),
``py_text`` (a long literal split into adjacent pieces), ``docstring`` (an inert docstring),
``ident`` (a checked identifier), ``comment`` (one printable line), and for Markdown ``md_text``,
``md_cell``, ``md_code``. None of them can produce a line that ends a string, starts a
statement or forges a formatting chunk mark (control characters are always escaped).
"""

from __future__ import annotations

import keyword
import re
import textwrap
from typing import Any

from generator.formatting import LINE_LENGTH

DOC_WIDTH = 92


class FilterError(Exception):
    """A value cannot be written safely (a template or checker bug, never silently passed)."""


def str_literal(value: str) -> str:
    """``repr`` of a string, in double quotes when that needs no escaping: the quotes black
    would choose, so black does not have to rewrite (and re-check) every literal."""
    literal = repr(value)
    if literal[0] == "'" and "'" not in value and '"' not in value:
        return '"' + literal[1:-1] + '"'
    return literal


def py_literal(value: Any) -> str:
    """A Python literal for plain data; anything else is refused rather than stringified."""
    if isinstance(value, str):
        return str_literal(value)
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return (
            repr(value)
            if value == value and value not in (float("inf"), float("-inf"))
            else (f"float({str(value)!r})")
        )
    if isinstance(value, list | tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise FilterError(f"cannot render {type(value).__name__} as a Python literal")


def py_text(value: str, indent: int = 0, prefix: str = "", width: int = 60) -> str:
    """A string literal; long text becomes adjacent literals in parentheses, so generated lines
    stay short. ``indent`` and ``prefix`` say where the literal starts (it is followed by a
    comma): the pieces are laid out as black would lay them out there, so black finds nothing
    to change (it would fix any difference; this only spares it a second pass)."""
    if len(value) <= width or indent + len(prefix) + len(str_literal(value)) + 1 <= LINE_LENGTH:
        return str_literal(value)
    pieces, current = [], ""
    for word in re.split(r"(?<= )", value):
        if current and len(current) + len(word) > width:
            pieces.append(current)
            current = ""
        current += word
    pieces.append(current)
    literals = [str_literal(piece) for piece in pieces]
    joined = " ".join(literals)
    if indent + len(prefix) + len(joined) + 3 <= LINE_LENGTH:
        return f"({joined})"
    inner = " " * (indent + 4)
    if len(inner) + len(joined) <= LINE_LENGTH:
        return f"(\n{inner}{joined}\n{' ' * indent})"
    return "(\n" + "".join(f"{inner}{lit}\n" for lit in literals) + " " * indent + ")"


def _escape_doc_char(ch: str) -> str:
    if ch == "\n" or (ch.isprintable() and ch not in "\u2028\u2029"):
        return ch
    return ch.encode("unicode_escape").decode("ascii")


def docstring(text: str, indent: int = 4) -> str:
    """A triple-quoted docstring whose content cannot end the string or inject code."""
    text = text.strip().replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\")
    text = "".join(_escape_doc_char(ch) for ch in text)
    if '"""' in text or text.endswith('"'):
        # backslashes are already doubled, so every quote can be escaped unambiguously
        text = text.replace('"', '\\"')
    width = max(40, DOC_WIDTH - indent)
    paragraphs = _reflow(text.split("\n"), width)
    pad = " " * indent
    body = "\n".join((pad + line) if line and i else line for i, line in enumerate(paragraphs))
    if len(paragraphs) > 1:
        body += "\n" + pad
    return f'"""{body}"""'


def _reflow(lines: list[str], width: int) -> list[str]:
    """Join and wrap plain paragraphs; indented lines (lists, Args sections) wrap one by one."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            out.extend(
                textwrap.wrap(
                    " ".join(block), width=width, break_on_hyphens=False, break_long_words=False
                )
            )
            block.clear()

    for line in lines:
        if not line.strip():
            flush()
            out.append("")
        elif line.startswith(" ") or line.rstrip().endswith(":"):
            flush()
            stripped = line.lstrip(" ")
            lead = line[: len(line) - len(stripped)]
            out.extend(
                textwrap.wrap(
                    stripped,
                    width=width,
                    initial_indent=lead,
                    subsequent_indent=lead + "    ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
                or [line]
            )
        else:
            block.append(line.strip())
    flush()
    return out


def identifier(name: str) -> str:
    """Defence in depth: the semantic checks already guarantee this."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise FilterError(f"{name!r} is not a usable Python identifier")
    return name


def comment(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def md_text(text: str) -> str:
    """Spec prose in Markdown: HTML-significant characters escaped so it renders as text, except
    inside code spans, where Markdown shows characters as they are."""
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_html_escape(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_html_escape(text[last:]))
    return "".join(out).strip()


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_cell(text: str) -> str:
    """Prose inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(md_text(text).split()).replace("|", "\\|")


def md_code(text: str) -> str:
    """Text inside backticks: backticks and pipes cannot end the span or the cell."""
    return " ".join(str(text).split()).replace("`", "'").replace("|", "\\|")


def md_code_value(value: Any) -> str:
    return md_code(repr(value) if isinstance(value, str) else str(value))
