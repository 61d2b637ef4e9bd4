"""Result tables as self-contained HTML pages for Snakemake's report.

Snakemake's report shows a Markdown file only as a download link (``data:text/markdown``) and
embeds an HTML file inline (an iframe). ``markdown_table_html`` turns the Markdown that
``seatlib.markdown.write_markdown`` writes (an optional ``# title`` line, then pipe tables,
``## headings`` and text lines) into one HTML page: the title, the caption (HTML), then each
part in order, every table a ``<table>`` with a header row; numbers are right-aligned.
Nothing external is referenced, so the page reads inside the report.
"""

from __future__ import annotations

import html
import re

_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(\s*(\+-|±).*)?$|^nan$")
_STYLE = ("body{font-family:sans-serif;font-size:14px;margin:1em}"
          "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px}"
          "th{background:#f0f0f0;text-align:left}td.num{text-align:right;"
          "font-variant-numeric:tabular-nums}tr:nth-child(even) td{background:#fafafa}"
          ".caption{max-width:60em;color:#333}")


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def _table(block: list[str], number: int) -> tuple[list[str], list[list[str]]]:
    where = f"table {number}: " if number > 1 else ""
    if len(block) < 2 or not set(block[1].replace("|", "").strip()) <= set("-: "):
        raise ValueError(f"{where}expected a Markdown pipe table (a header row, then |---| ...)")
    header = _cells(block[0])
    rows = [_cells(ln) for ln in block[2:]]
    for i, row in enumerate(rows, 1):
        if len(row) != len(header):
            raise ValueError(f"{where}table row {i} has {len(row)} cells, the header "
                             f"{len(header)}")
    return header, rows


def parse_markdown(text: str) -> tuple[str | None, list[tuple[str, object]]]:
    """-> (title or None, parts) of a Markdown result file: an optional ``# title``, then
    any sequence of ``## heading`` lines, text lines and pipe tables. Parts are
    ("heading", str), ("text", str) or ("table", (header, rows)); ValueError (one line) when
    there is no table or a table row has the wrong number of cells."""
    title = None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].startswith("# "):
        title, lines = lines[0][2:].strip(), lines[1:]
    parts: list[tuple[str, object]] = []
    block: list[str] = []
    n_tables = 0

    def flush():
        nonlocal block, n_tables
        if block:
            n_tables += 1
            parts.append(("table", _table(block, n_tables)))
            block = []

    for ln in lines:
        if ln.lstrip().startswith("|"):
            block.append(ln)
            continue
        flush()
        if ln.startswith("## "):
            parts.append(("heading", ln[3:].strip()))
        else:
            parts.append(("text", ln.strip()))
    flush()
    if not n_tables:
        raise ValueError("expected a Markdown pipe table (a header row, then |---| ...)")
    return title, parts


def parse_markdown_table(text: str) -> tuple[str | None, list[str], list[list[str]]]:
    """-> (title or None, header, rows) of the first pipe table in ``text``."""
    title, parts = parse_markdown(text)
    header, rows = next(v for k, v in parts if k == "table")
    return title, header, rows


def _html_table(header, rows) -> list[str]:
    out = [f"<p class='caption'>{len(rows)} rows.</p><table><thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(
            f"<td class='num'>{html.escape(c)}</td>" if _NUMBER.match(c) else
            f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return out


def markdown_table_html(text: str, caption_html: str = "") -> str:
    """A self-contained HTML page of the Markdown result ``text`` (see the module doc):
    every table, ``## heading`` and text line of it, in order."""
    title, parts = parse_markdown(text)
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           f"<title>{html.escape(title or 'table')}</title><style>{_STYLE}</style></head><body>"]
    if title:
        out.append(f"<h2>{html.escape(title)}</h2>")
    if caption_html:
        out.append(f"<div class='caption'>{caption_html}</div>")
    for kind, value in parts:
        if kind == "table":
            out += _html_table(*value)
        elif kind == "heading":
            out.append(f"<h3>{html.escape(value)}</h3>")
        else:
            out.append(f"<p class='caption'>{html.escape(value)}</p>")
    out.append("</body></html>\n")
    return "".join(out)
