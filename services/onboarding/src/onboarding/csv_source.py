"""Reading a locations CSV file into headers and rows (BOM-tolerant, any common delimiter)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CsvFile:
    headers: list[str]
    rows: list[dict[str, str]]


def read_csv(path: Path) -> CsvFile:
    return parse_csv(path.read_text(encoding="utf-8-sig"))


def parse_csv(text: str) -> CsvFile:
    """The same reading for a CSV that arrives as text (an HTTP body)."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    headers = [h.strip() for h in (reader.fieldnames or [])]
    rows = [{(k or "").strip(): (v if isinstance(v, str) else "") for k, v in r.items()} for r in reader]
    return CsvFile(headers, rows)
