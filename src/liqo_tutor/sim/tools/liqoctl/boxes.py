"""liqoctl's boxed sections (pkg/liqoctl/output: info.go sections, output.go BoxPrintln) as plain text.

Without a terminal pterm draws no side borders: a box is a title rule `─ Title ───…` and a closing
rule, 82 columns wide (boxWidth 80 plus the corners), as docs/examples/quick-start.md shows at v1.2.0.
Sections are bullet-list items without bullets: level L is indented by 2 + 4*L spaces (levelMultiplier
4); an entry is `key: value` with the values of one section aligned on its longest key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CHECK", "CROSS", "Section", "box"]

CHECK = "✔"
CROSS = "✖"
WIDTH = 82


@dataclass
class Section:
    title: str = ""
    entries: list[tuple[str, list[str]]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        child = Section(title)
        self.sections.append(child)
        return child

    def entry(self, key: str, *values: str) -> Section:
        self.entries.append((key, list(values)))
        return self

    def lines(self, level: int = -1) -> list[str]:
        out = [_indent(level) + self.title] if level >= 0 else []
        longest = max((len(k) for k, _ in self.entries), default=0)
        for key, values in self.entries:
            pad = _indent(level + 1)
            if not values:
                out.append(pad + key)
            elif len(values) == 1:
                out.append(f"{pad}{key}: {' ' * (longest - len(key))}{values[0]}")
            else:
                out.append(pad + key)
                out += [f"{pad} • {v}" for v in values]
        for child in self.sections:
            out += child.lines(level + 1)
        return out


def _indent(level: int) -> str:
    return "  " + " " * (4 * level) if level >= 0 else ""


def box(title: str, body: Section) -> str:
    head = f"─ {title} "
    content = body.lines() or [""]
    return "\n".join([head + "─" * (WIDTH - len(head)), *content, "─" * WIDTH]) + "\n"
