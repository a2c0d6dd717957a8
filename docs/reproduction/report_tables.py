"""Rows of a report's table, verbatim: the tables of docs/reproduction.md that come from a report.

`grokbench score` writes ``report.md``; this prints one of its tables (by section title) with
only the rows that have a cell matching one of the globs (a task id such as 'Z97-div-*', or an
operation) and none matching an ``--exclude`` glob, so that what the page shows is the report,
cut, never retyped. ``tests/test_reproduction_docs.py`` checks the page against it.

    python docs/reproduction/report_tables.py results/paper/report.md 'Z97-div-*'
    python docs/reproduction/report_tables.py results/interventions/report.md 'S5-square' --section 'Data efficiency'
"""

import argparse
import fnmatch
from pathlib import Path


def section_table(report: str, title: str) -> list[str]:
    """The lines of the table under the section ``## title`` of the Markdown ``report``."""
    lines = report.splitlines()
    try:
        start = lines.index(f"## {title}")
    except ValueError:
        sections = [line[3:] for line in lines if line.startswith("## ")]
        raise SystemExit(f"no section {title!r} in the report; its sections: {', '.join(sections)}") from None
    table = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append(line)
    return table


def cells(row: str) -> list[str]:
    """The stripped cells of a Markdown table row."""
    return [cell.strip() for cell in row.strip("|").split("|")]


def select(table: list[str], patterns: list[str], exclude: list[str]) -> list[str]:
    """The header, its rule, and the rows with a cell matching a pattern and none matching an exclusion."""

    def matches(row: str, globs: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(cell, glob) for cell in cells(row) for glob in globs)

    header, rule, *rows = table
    return [header, rule, *(row for row in rows if matches(row, patterns) and not matches(row, exclude))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="a report.md written by grokbench score")
    parser.add_argument("patterns", nargs="+", help="globs: a row is kept if one of its cells matches one")
    parser.add_argument("--exclude", action="append", default=[], help="drop the rows with a cell matching this glob")
    parser.add_argument("--section", default="Steps to 99% validation accuracy", help="the table's section title")
    args = parser.parse_args()
    print("\n".join(select(section_table(args.report.read_text(), args.section), args.patterns, args.exclude)))


if __name__ == "__main__":
    main()
