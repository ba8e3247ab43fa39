"""Processing step: split the input data into a training and a held-out test set, and name the data.

The input is a CSV with a header and the label in the last column (`label`). Without one, the step uses
scikit-learn's bundled breast-cancer data set, so a run needs no network. Either way it writes
`train/train.csv` and `test/test.csv` and returns which data it was: the input's location and version, or
for bundled data its name and the SHA-256 of its CSV, which is what registration records as lineage.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

LABEL = "label"
BUNDLED = "scikit-learn:breast_cancer"
TEST_SHARE = 0.25
SEED = 7  # a fixed split, so a rerun on the same data evaluates on the same held-out rows


@dataclass(frozen=True)
class DataRecord:
    """Which data a run used: a location (S3 URI or bundled data set's name) and its version."""

    location: str
    version: str


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: np.ndarray  # features then label, as floats


def bundled_table() -> Table:
    """scikit-learn's breast-cancer data (569 rows, 30 features), label last."""
    data = load_breast_cancer()
    header = [str(name) for name in data.feature_names] + [LABEL]
    return Table(header=header, rows=np.column_stack([data.data, data.target]).astype(float))


def read_table(path: Path) -> Table:
    """A CSV with a header row, numbers only, label last."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = np.array([[float(value) for value in row] for row in reader], dtype=float)
    return Table(header=header, rows=rows)


def csv_bytes(table: Table) -> bytes:
    """The table as CSV (`repr` of each float, so it reads back exactly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows([[repr(float(value)) for value in row] for row in table.rows])
    return buffer.getvalue().encode("utf-8")


def preprocess(output: Path, *, source: Path | None = None, location: str | None = None) -> DataRecord:
    """Write `output/train/train.csv` and `output/test/test.csv`; return the data's lineage record.

    `source`: the input CSV (None: the bundled data). `location`: where the input came from, e.g. its S3 URI
    with `?versionId=`; without it the record names the input by its SHA-256."""
    table = read_table(source) if source is not None else bundled_table()
    digest = hashlib.sha256(csv_bytes(table)).hexdigest()
    labels = table.rows[:, -1]
    train, test = train_test_split(table.rows, test_size=TEST_SHARE, random_state=SEED, stratify=labels)
    for name, rows in (("train", train), ("test", test)):
        folder = output / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.csv").write_bytes(csv_bytes(Table(header=table.header, rows=rows)))
    if source is None:
        return DataRecord(location=BUNDLED, version=f"sha256:{digest}")
    return DataRecord(location=location or source.name, version=f"sha256:{digest}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the processing job: input under /opt/ml/processing/input, output under .../output."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", type=Path, default=Path("/opt/ml/processing/input/data"), help="A CSV or a folder")
    parser.add_argument("--output", type=Path, default=Path("/opt/ml/processing/output"))
    parser.add_argument("--location", help="Where the input came from (S3 URI and version).")
    args = parser.parse_args(argv)
    found = sorted(args.input.glob("*.csv")) if args.input.is_dir() else [args.input] if args.input.is_file() else []
    record = preprocess(args.output, source=found[0] if found else None, location=args.location)
    (args.output / "record").mkdir(parents=True, exist_ok=True)
    (args.output / "record" / "data.txt").write_text(f"{record.location}\n{record.version}\n", encoding="utf-8")
    print(f"data: {record.location} {record.version}")


if __name__ == "__main__":
    main()
