"""Training step: fit a scaled logistic regression on `train.csv`; save it as `model.joblib` (the plain
scikit-learn estimator the serving container loads) beside `features.json` (the columns it reads, in order).

SageMaker's scikit-learn container runs this in script mode: hyperparameters arrive as options, the
training channel in SM_CHANNEL_TRAIN and the model folder in SM_MODEL_DIR, which SageMaker packs into
model.tar.gz (encrypted with the training job's OutputDataConfig key).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from data_science.steps.preprocess import read_table

MODEL_FILE = "model.joblib"
FEATURES_FILE = "features.json"
ALL_FEATURES = "all"


@dataclass(frozen=True)
class Hyperparameters:
    """`features`: comma-separated column names, or `all`; `c`: inverse regularisation strength."""

    features: str = ALL_FEATURES
    c: float = 1.0


@dataclass(frozen=True)
class TrainedModel:
    """The fitted estimator and the columns it reads, in order."""

    estimator: Pipeline
    features: list[str]

    def scores(self, rows: np.ndarray, header: list[str]) -> np.ndarray:
        """The probability of the positive class for each row of a table with `header`."""
        columns = [header.index(name) for name in self.features]
        return np.asarray(self.estimator.predict_proba(rows[:, columns])[:, 1])


def load_model(model_dir: Path) -> TrainedModel:
    """The model `train` saved in `model_dir`."""
    features = json.loads((model_dir / FEATURES_FILE).read_text(encoding="utf-8"))
    return TrainedModel(estimator=joblib.load(model_dir / MODEL_FILE), features=list(features))


def selected(header: list[str], features: str) -> list[str]:
    """The feature columns `features` names (all but the label for `all`); ValueError naming an unknown one."""
    available = header[:-1]
    if features == ALL_FEATURES:
        return available
    names = [name.strip() for name in features.split(",") if name.strip()]
    for name in names:
        if name not in available:
            raise ValueError(f"--features: {name!r} is not a column of the training data")
    return names


def train(train_csv: Path, model_dir: Path, hyperparameters: Hyperparameters) -> Path:
    """Fit the model on `train_csv` and save it in `model_dir`; return the saved file."""
    table = read_table(train_csv)
    features = selected(table.header, hyperparameters.features)
    columns = [table.header.index(name) for name in features]
    estimator = make_pipeline(StandardScaler(), LogisticRegression(C=hyperparameters.c, max_iter=1000))
    estimator.fit(table.rows[:, columns], table.rows[:, -1].astype(int))
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILE
    joblib.dump(estimator, path)
    (model_dir / FEATURES_FILE).write_text(json.dumps(features) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    """Entry point of the training job (script mode)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", default=ALL_FEATURES)
    parser.add_argument("--c", type=float, default=1.0)
    channel = os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train")
    parser.add_argument("--train", type=Path, default=Path(channel))
    parser.add_argument("--model-dir", type=Path, default=Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model")))
    args = parser.parse_args(argv)
    saved = train(args.train / "train.csv", args.model_dir, Hyperparameters(features=args.features, c=args.c))
    print(f"saved {saved}")


if __name__ == "__main__":
    main()
