"""The sample franchise shipped with onboarding: 75 new locations and 25 live ones to adopt."""

from __future__ import annotations

import csv
from pathlib import Path

from devstack.paths import repo_root

SAMPLES = repo_root() / "services" / "onboarding" / "samples"
NEW_LOCATIONS_CSV = SAMPLES / "locations.csv"
EXISTING_LOCATIONS_CSV = SAMPLES / "existing_locations.csv"


def subset_csv(source: Path, target: Path, rows: int) -> Path:
    """The header and the first ``rows`` rows of ``source``, written to ``target``."""
    with source.open(newline="") as src, target.open("w", newline="") as dst:
        writer = csv.writer(dst)
        for index, row in enumerate(csv.reader(src)):
            if index > rows:
                break
            writer.writerow(row)
    return target


def count_rows(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))
