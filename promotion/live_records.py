"""What inference consumers and the gates read in shared services' Parameter Store, one value per owner.

- Live records, `naming.live_record_parameter(model, env)`: the ARN a deploy of `env` verified live. Only
  `env`'s recorder role writes it (the post-deploy step); the gates, the board and the review page read it.
- Approved records, `naming.approved_record_parameter(model, env)`: the ARN `env`'s quorum approved. Only
  `env`'s decision role writes it (the decision service, when the quorum is met).

The audit trail is not here: it is the ledger (promotion/ledger.py), where nothing is evicted.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from accounts import naming

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

# GetParameters accepts at most 10 names per call.
GET_PARAMETERS_BATCH = 10


def _parameter_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) == "ParameterNotFound"


def _put(client: SSMClient, name: str, arn: str) -> None:
    client.put_parameter(Name=name, Value=arn, Type="String", Overwrite=True, Tier="Standard")


class LiveRecords:
    """What each deploy verified live, per model and environment, in shared services."""

    def __init__(self, client: SSMClient) -> None:
        self.client = client

    def get(self, model: str, env: str) -> str | None:
        """The ARN live in `env`, or None when nothing was ever deployed there."""
        try:
            response = self.client.get_parameter(Name=naming.live_record_parameter(model, env))
        except ClientError as exc:
            if _parameter_missing(exc):
                return None
            raise
        return str(response["Parameter"].get("Value", "")) or None

    def get_many(self, pairs: Iterable[tuple[str, str]], *, workers: int = 1) -> dict[tuple[str, str], str]:
        """Live ARNs of many (model, env) pairs, ten names per GetParameters call (`workers` calls in flight);
        absent pairs left out."""
        by_name = {naming.live_record_parameter(model, env): (model, env) for model, env in pairs}
        names = list(by_name)
        batches = [names[start : start + GET_PARAMETERS_BATCH] for start in range(0, len(names), GET_PARAMETERS_BATCH)]

        def fetch(batch: list[str]) -> list[tuple[str, str]]:
            response = self.client.get_parameters(Names=batch)
            return [(str(p["Name"]), str(p.get("Value", ""))) for p in response.get("Parameters", [])]

        # Batches are independent: overlap their round trips (boto3 clients are thread-safe).
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return {by_name[name]: value for found in pool.map(fetch, batches) for name, value in found}

    def put(self, model: str, env: str, arn: str) -> None:
        """Record `arn` as live in `env` (the recorder role of `env` only)."""
        _put(self.client, naming.live_record_parameter(model, env), arn)


class ApprovedRecords:
    """The ARN each environment's quorum approved, per model, in shared services."""

    def __init__(self, client: SSMClient) -> None:
        self.client = client

    def get(self, model: str, env: str) -> str | None:
        """The ARN approved for `env`, or None when no version was."""
        try:
            response = self.client.get_parameter(Name=naming.approved_record_parameter(model, env))
        except ClientError as exc:
            if _parameter_missing(exc):
                return None
            raise
        return str(response["Parameter"].get("Value", "")) or None

    def put(self, model: str, env: str, arn: str) -> None:
        """Record `arn` as approved for `env` (the decision role of `env` only)."""
        _put(self.client, naming.approved_record_parameter(model, env), arn)
