"""Evaluation step: score the trained model on the held-out test set and write `evaluation.json`.

Its shape is promotion/evaluation.py's: SageMaker's model quality statistics, which the registry's
ModelMetrics point at and the pipeline's ConditionStep reads with JsonGet.
"""

from __future__ import annotations

import argparse
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

from data_science.steps.preprocess import read_table
from data_science.steps.train import load_model
from promotion.evaluation import REPORT_FILE, SECTION

THRESHOLD = 0.5
DIGITS = 4


def metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """AUC from the scores; the others from the predictions at 0.5; each rounded to four digits."""
    predicted = (scores >= THRESHOLD).astype(int)
    true_negative, false_positive, _, _ = confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
    negatives = true_negative + false_positive
    values = {
        "auc": roc_auc_score(labels, scores),
        "accuracy": accuracy_score(labels, predicted),
        "precision": precision_score(labels, predicted, zero_division=0),
        "recall": recall_score(labels, predicted, zero_division=0),
        "f1": f1_score(labels, predicted, zero_division=0),
        "false_positive_rate": false_positive / negatives if negatives else 0.0,
    }
    return {name: round(float(value), DIGITS) for name, value in values.items()}


def report(values: dict[str, float], *, rows: int) -> dict[str, Any]:
    """The evaluation report: each metric in SageMaker's statistics shape, and how many rows were held out."""
    section = {name: {"value": value, "standard_deviation": "NaN"} for name, value in values.items()}
    return {SECTION: section, "test_rows": rows}


def evaluate(model_tar: Path, test_csv: Path, output: Path) -> dict[str, float]:
    """Unpack `model_tar`, score `test_csv`, write `output/evaluation.json`; return the metrics."""
    table = read_table(test_csv)
    with tempfile.TemporaryDirectory() as unpacked:
        with tarfile.open(model_tar) as archive:
            archive.extractall(unpacked, filter="data")
        model = load_model(Path(unpacked))
        scores = model.scores(table.rows, table.header)
    values = metrics(table.rows[:, -1].astype(int), scores)
    output.mkdir(parents=True, exist_ok=True)
    document = report(values, rows=len(table.rows))
    (output / REPORT_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return values


def main(argv: list[str] | None = None) -> None:
    """Entry point of the evaluation processing job."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("/opt/ml/processing/model/model.tar.gz"))
    parser.add_argument("--test", type=Path, default=Path("/opt/ml/processing/test/test.csv"))
    parser.add_argument("--output", type=Path, default=Path("/opt/ml/processing/evaluation"))
    args = parser.parse_args(argv)
    print(json.dumps(evaluate(args.model, args.test, args.output), sort_keys=True))


if __name__ == "__main__":
    main()
