"""What the promotion board adds per environment: its hold, and the soak left before the version live in the
environment before it may be promoted into it.

Read through the promoter, as the rest of the board: two Queries per model (its promotions and releases
streams) for the holds, and, for each environment with a soak, one Query of the previous environment's deploy
records. The board shows time only; the soak gate also reads the alarms (promotion/soak.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from accounts.config import OrgConfig
from promotion import gates, holds
from promotion.soak import deploy_times

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class SoakView:
    """One model in one environment: its hold (None: not held) and the soak line (None: no soak, or nothing to
    promote from the environment before)."""

    hold: gates.Hold | None
    soak: str | None


def soak_line(config: OrgConfig, env: str, candidate: str | None, since: datetime | None, now: datetime) -> str | None:
    """`v4 live in qa 2h 05m of 24h (21h 55m remaining)`, `v4 soaked in qa (24h)`, or None when `env` has no
    soak or nothing in the environment before is waiting for it."""
    previous = config.previous_environment(env)
    hours = config.environment(env).soak_hours
    if previous is None or hours == 0 or candidate is None:
        return None
    label = gates.version_label(candidate)
    if since is None:
        return f"{label} has no deploy record in {previous.name}"
    elapsed, required = now - since, timedelta(hours=hours)
    if elapsed >= required:
        return f"{label} soaked in {previous.name} ({hours}h)"
    return (
        f"{label} live in {previous.name} {gates.duration_text(elapsed)} of {hours}h "
        f"({gates.duration_text(required - elapsed)} remaining)"
    )


def views(
    dynamodb: DynamoDBClient,
    config: OrgConfig,
    models: list[str],
    live: Mapping[tuple[str, str], str],
    *,
    workers: int = 1,
) -> dict[tuple[str, str], SoakView]:
    """Each (model, env)'s hold and soak line."""
    now = datetime.now(UTC)

    def of_model(model: str) -> dict[tuple[str, str], SoakView]:
        held = holds.read_holds(dynamodb, config, model)
        found: dict[tuple[str, str], SoakView] = {}
        for env in config.chain:
            previous = config.previous_environment(env)
            candidate = live.get((model, previous.name)) if previous is not None else None
            line = None
            if previous is not None and config.environment(env).soak_hours > 0 and candidate is not None:
                if candidate == live.get((model, env)):
                    candidate = None  # already live here: nothing waits
                else:
                    since = gates.live_since(deploy_times(dynamodb, model, previous.name), candidate)
                    line = soak_line(config, env, candidate, since, now)
            found[(model, env)] = SoakView(held.get(env), line)
        return found

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return {key: view for found in pool.map(of_model, models) for key, view in found.items()}
