"""Who and what the demo plays, all from accounts.yaml: the first model, the chain, the first data scientist
and platform engineer, each environment's approvers (its quorum) and the image in shared services."""

from __future__ import annotations

from dataclasses import dataclass

from accounts import naming
from accounts.config import ModelSpec, OrgConfig
from demo.metrics import UnmeetableGates, chain_bounds

# The image build's tag for the model's serving image (`<model>-<version>`, as naming.py says tags are).
IMAGE_TAG_VERSION = "2.4.0"


class MissingInConfig(Exception):
    """accounts.yaml lacks something the demo needs; the message names the file and field."""


@dataclass(frozen=True)
class Cast:
    """The demo's model and people."""

    model: ModelSpec
    chain: tuple[str, ...]
    data_scientist: str
    platform_engineer: str
    # Per environment, the members who approve in the demo: as many as its quorum, in the group's order.
    approvers: dict[str, tuple[str, ...]]
    # Per environment, every member of its approver group.
    groups: dict[str, tuple[str, ...]]
    image: str

    @property
    def first(self) -> str:
        return self.chain[0]

    @property
    def last(self) -> str:
        return self.chain[-1]

    @property
    def reviewer(self) -> str:
        """The first environment's approver who decides on the review page (and later trains a model)."""
        return self.approvers[self.first][0]

    def outsider(self) -> tuple[str, str] | None:
        """An approver of the first environment and the latest environment whose group lacks them (the
        cross-environment refusal), or None when every later environment's group has every one of them."""
        for env in reversed(self.chain[1:]):
            for member in self.approvers[self.first]:
                if member not in self.groups[env]:
                    return member, env
        return None


def _first(people: list[str], field: str, source: str, role: str) -> str:
    if not people:
        raise MissingInConfig(f"{source}: {field}: empty; the demo {role} as its first member")
    return people[0]


def _quorum(config: OrgConfig, env: str, data_scientist: str, source: str) -> tuple[str, ...]:
    environment = config.environment(env)
    group = config.approvers(env)
    # The data scientist registers every demo version, and may never approve their own (separation of duties).
    eligible = [member for member in group.members if member != data_scientist]
    if len(eligible) < environment.approvals_required:
        raise MissingInConfig(
            f"{source}: approver_groups.{environment.approver_group}.members: {env} needs "
            f"{environment.approvals_required} approver(s) other than the data scientist {data_scientist}; "
            f"it has {len(eligible)}"
        )
    return tuple(eligible[: environment.approvals_required])


def cast(config: OrgConfig, source: str) -> Cast:
    """The demo's cast for `config` (read from `source`); MissingInConfig naming the field it lacks."""
    if not config.models:
        raise MissingInConfig(f"{source}: models: empty; the demo follows the first configured model")
    model = config.models[0]
    try:
        chain_bounds(model)
    except UnmeetableGates as unmeetable:
        raise MissingInConfig(f"{source}: models[0].{unmeetable}") from None
    data_scientist = _first(config.people.data_scientists, "people.data_scientists", source, "registers versions")
    platform_engineer = _first(
        config.people.platform_engineers, "people.platform_engineers", source, "promotes and rolls back"
    )
    return Cast(
        model=model,
        chain=tuple(config.chain),
        data_scientist=data_scientist,
        platform_engineer=platform_engineer,
        approvers={env: _quorum(config, env, data_scientist, source) for env in config.chain},
        groups={env: tuple(config.approvers(env).members) for env in config.chain},
        image=f"{naming.model_image_repository_uri(config)}:{model.name}-{IMAGE_TAG_VERSION}",
    )
