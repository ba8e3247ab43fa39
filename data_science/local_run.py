"""`modelops train`: the training pipeline's steps run on this machine, then its register step.

The same step scripts the pipeline's jobs run (data_science/steps), in the same order: preprocess (the
input CSV, or scikit-learn's bundled breast-cancer data), train, pack model.tar.gz as SageMaker does,
evaluate on the held-out rows, then register through the register step's code, which checks the model's
training condition first. Registration acts as data science, like `modelops register`.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from data_science.steps import evaluate, preprocess, train
from data_science.steps.register import MODEL_FILE
from promotion.evaluation import REPORT_FILE, DataLineage


@dataclass(frozen=True)
class LocalRun:
    """A run's outputs: the packed model, the evaluation report and its metrics, and the data it used."""

    model_tar: Path
    evaluation: Path
    metrics: dict[str, float]
    data: DataLineage
    run: str


def run_id(now: datetime | None = None) -> str:
    """A run's folder name under the model's prefix: `train-<UTC time>` (artifact keys are create-only)."""
    return (now or datetime.now(UTC)).strftime("train-%Y%m%dT%H%M%S%fZ")


def pack(model_dir: Path, target: Path) -> Path:
    """model.tar.gz of the model folder's files at the archive's top level, as SageMaker packs SM_MODEL_DIR."""
    with tarfile.open(target, "w:gz") as archive:
        for path in sorted(model_dir.iterdir()):
            archive.add(path, arcname=path.name)
    return target


def run_steps(
    workdir: Path, hyperparameters: train.Hyperparameters, *, source: Path | None = None, location: str | None = None
) -> LocalRun:
    """Preprocess, train, pack and evaluate in `workdir`; nothing leaves the machine."""
    record = preprocess.preprocess(workdir / "data", source=source, location=location)
    train.train(workdir / "data" / "train" / "train.csv", workdir / "model", hyperparameters)
    model_tar = pack(workdir / "model", workdir / MODEL_FILE)
    values = evaluate.evaluate(model_tar, workdir / "data" / "test" / "test.csv", workdir / "evaluation")
    return LocalRun(
        model_tar=model_tar,
        evaluation=workdir / "evaluation" / REPORT_FILE,
        metrics=values,
        data=DataLineage(location=record.location, version=record.version),
        run=run_id(),
    )
