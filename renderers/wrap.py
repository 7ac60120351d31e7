"""Label wrapping that breaks only between words or at segment boundaries.

``textwrap.wrap(break_long_words=True)`` cut identifiers mid-word (``GenerateD|ataKey``,
``match-requests.fif|o``). Here a word longer than the width is split only after ``-``,
``_``, ``/`` or ``:`` and before ``.``; a segment that is still too long stays whole on
its own line: a wide line is readable, a cut word is not.
"""

from __future__ import annotations

_AFTER = frozenset("-_/:")


def segments(word: str) -> list[str]:
    """``match-requests.fifo`` → ``["match-", "requests", ".fifo"]`` (joined back, the word)."""
    parts: list[str] = []
    current = ""
    for char in word:
        if char == "." and current.strip("."):
            parts.append(current)
            current = ""
        current += char
        if char in _AFTER:
            parts.append(current)
            current = ""
    if current:
        parts.append(current)
    return parts


def wrap_words(text: str, width: int) -> list[str]:
    """Greedy lines of at most ``width`` characters, broken at spaces or segment boundaries."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = word if not line else f"{line} {word}"
        if len(candidate) <= width:
            line = candidate
            continue
        if len(word) <= width:
            lines.append(line)
            line = word
            continue
        parts = segments(word)
        if line and len(line) + 1 + len(parts[0]) <= width:
            line += " "
        elif line:
            lines.append(line)
            line = ""
        for part in parts:
            if line and len(line) + len(part) > width:
                lines.append(line)
                line = part
            else:
                line += part
    if line or not lines:
        lines.append(line)
    return lines


def wrap_list(items: list[str] | tuple[str, ...], width: int, separator: str = ", ") -> list[str]:
    """Lines of ``items`` joined by ``separator``, breaking only between items (an item
    longer than ``width`` is wrapped on its own with :func:`wrap_words`)."""
    lines: list[str] = []
    line = ""
    for index, item in enumerate(items):
        piece = item + (separator.rstrip() if index < len(items) - 1 else "")
        candidate = f"{line} {piece}" if line else piece
        if len(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        if len(piece) <= width:
            line = piece
        else:
            *head, line = wrap_words(piece, width)
            lines += head
    if line or not lines:
        lines.append(line)
    return lines
