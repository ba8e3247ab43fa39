"""After a batch-inference job completed: its figures go to the next environment's approvers.

The job (promotion/batch_inference.py) puts one "ModelOps Batch Inference Completed" event on the
shared-services default bus, as the promoter (the same route and role as "ModelOps Deploy Verified",
promotion/events.py). The approval workflow's rule hands it to the notify Lambda, which checks that the ARN
is the latest deploy record of the environment in the ledger, then emails the next environment's approvers
their review links with the job's figures (shared_services/handlers/notify.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from promotion.events import put_pipeline_event

if TYPE_CHECKING:
    from promotion.events import EventsClient

BATCH_INFERENCE_COMPLETED = "ModelOps Batch Inference Completed"


@dataclass(frozen=True)
class BatchFigures:
    """What one transform job did: SageMaker's status and times (DescribeTransformJob), and the objects and
    CSV records that went in and came out (counted in the batch bucket)."""

    job: str
    status: str
    started: str
    ended: str
    seconds: float
    objects_in: int
    records_in: int
    objects_out: int
    records_out: int

    def to_detail(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> BatchFigures:
        """The figures of an event's detail; KeyError or ValueError when one is missing or not a number."""
        return cls(
            job=str(detail["job"]),
            status=str(detail["status"]),
            started=str(detail["started"]),
            ended=str(detail["ended"]),
            seconds=float(detail["seconds"]),
            objects_in=int(detail["objects_in"]),
            records_in=int(detail["records_in"]),
            objects_out=int(detail["objects_out"]),
            records_out=int(detail["records_out"]),
        )

    def lines(self) -> list[tuple[str, str]]:
        """The figures as (label, value), in the order the email and the command show them."""
        return [
            ("Transform job", self.job),
            ("Status", self.status),
            ("Ran", f"{self.started} to {self.ended} ({self.seconds:g} s)"),
            ("Input", f"{self.records_in} records in {self.objects_in} object(s)"),
            ("Output", f"{self.records_out} records in {self.objects_out} object(s)"),
        ]


def notify_batch_completed(*, events: EventsClient, model: str, env: str, arn: str, figures: BatchFigures) -> str:
    """Put the batch-completed event for `arn` in `env`; returns EventBridge's event id.

    `events` is an EventBridge client of the shared-services account (the promoter role)."""
    detail = {"model": model, "env": env, "arn": arn, "batch": figures.to_detail()}
    return put_pipeline_event(events, BATCH_INFERENCE_COMPLETED, detail, arn=arn, what="batch-inference")
