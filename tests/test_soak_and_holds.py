"""The soak and hold gates, as pure rules over deploy records, alarm entries and hold records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.config import OrgConfig, parse_config
from accounts.validation import InputError
from promotion import gates, holds
from promotion.gates import AlarmFiring, Hold
from promotion.ledger import GENESIS, HistoryAction, HistoryRecord, LedgerRecord, seal

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ALARM_5XX = "modelops-churn-model-5xx-errors"


def soaking(config: OrgConfig, hours: int) -> OrgConfig:
    """`config` with prod requiring `hours` of soak in qa."""
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    for env in data["environments"]:
        if env["name"] == "prod":
            env["soak_hours"] = hours
    return parse_config(data, "accounts.yaml")


def soak(config: OrgConfig, *, live_for: timedelta | None, alarms: list[AlarmFiring] | None = None) -> list[str]:
    live_since = NOW - live_for if live_for is not None else None
    failures = gates.soak_failures(
        soaking(config, 24), "churn-model", "prod", ARN.format(4), live_since=live_since, now=NOW, alarms=alarms or []
    )
    return [str(failure) for failure in failures]


# -- soak --------------------------------------------------------------------------------------------------


def test_a_version_live_in_qa_for_less_than_prods_soak_is_refused_with_the_time_remaining(config: OrgConfig) -> None:
    assert soak(config, live_for=timedelta(hours=2, minutes=5, seconds=40)) == [
        "soak: churn-model v4 has been live in qa for 2h 05m; prod requires 24h (21h 54m remaining)"
    ]


def test_a_version_live_in_qa_for_the_whole_soak_and_healthy_passes(config: OrgConfig) -> None:
    assert soak(config, live_for=timedelta(hours=24)) == []


def test_an_alarm_that_entered_alarm_since_the_version_went_live_is_refused_with_its_time(config: OrgConfig) -> None:
    fired = AlarmFiring(ALARM_5XX, datetime(2026, 12, 5, 10, 12, 30, tzinfo=UTC))
    assert soak(config, live_for=timedelta(hours=30), alarms=[fired]) == [
        "soak: churn-model v4's alarm modelops-churn-model-5xx-errors in qa entered ALARM at 2026-12-05 10:12 UTC "
        "since it went live; prod requires 24h healthy"
    ]


def test_an_alarm_in_alarm_now_and_a_missing_alarm_are_refused(config: OrgConfig) -> None:
    alarms = [AlarmFiring(ALARM_5XX, None), AlarmFiring("modelops-churn-model-model-latency", None, missing=True)]
    assert soak(config, live_for=timedelta(hours=30), alarms=alarms) == [
        "soak: churn-model v4's alarm modelops-churn-model-5xx-errors in qa is in ALARM now; prod requires 24h healthy",
        "soak: churn-model v4's alarm modelops-churn-model-model-latency in qa does not exist, so its health there "
        "cannot be shown; prod requires 24h healthy",
    ]


def test_a_version_with_no_deploy_record_live_in_qa_is_refused(config: OrgConfig) -> None:
    assert soak(config, live_for=None) == [
        "soak: churn-model v4 has no deploy record in qa that shows it live there now; prod requires 24h live there"
    ]


def test_an_environment_without_soak_or_without_a_previous_environment_checks_nothing(config: OrgConfig) -> None:
    fired = [AlarmFiring(ALARM_5XX, None)]
    assert (
        gates.soak_failures(config, "churn-model", "prod", ARN.format(4), live_since=None, now=NOW, alarms=fired) == []
    )
    soaked = soaking(config, 24)
    assert gates.soak_failures(soaked, "churn-model", "qa", ARN.format(4), live_since=None, now=NOW, alarms=fired) == []


def test_live_since_is_the_start_of_the_newest_unbroken_run_of_deploy_records() -> None:
    t = [NOW - timedelta(hours=h) for h in (50, 40, 30, 20)]
    records = [(ARN.format(4), t[0]), (ARN.format(3), t[1]), (ARN.format(4), t[2]), (ARN.format(4), t[3])]
    assert gates.live_since(records, ARN.format(4)) == t[2]
    assert gates.live_since(records, ARN.format(3)) is None
    assert gates.live_since([], ARN.format(4)) is None


def test_a_version_live_here_or_live_here_before_is_exempt_from_soak() -> None:
    assert gates.soak_exempt(ARN.format(1), live_here=ARN.format(1))
    assert gates.soak_exempt(ARN.format(1), live_here=ARN.format(2), was_live_here=[ARN.format(1)])
    assert not gates.soak_exempt(ARN.format(3), live_here=ARN.format(2), was_live_here=[ARN.format(1)])


def test_soak_hours_must_be_between_0_and_two_weeks(config: OrgConfig) -> None:
    with pytest.raises(InputError) as raised:
        soaking(config, 337)
    assert str(raised.value) == ("accounts.yaml: environments[1].soak_hours: Input should be less than or equal to 336")
    assert soaking(config, 0).environment("prod").soak_hours == 0


# -- holds -------------------------------------------------------------------------------------------------


def record(stream: str, seq: int, action: HistoryAction, arn: str, reason: str, env: str = "prod") -> LedgerRecord:
    written = HistoryRecord(
        who="platform.engineer@example.com",
        when=f"2026-12-05T10:{seq:02d}:00.000000Z",
        action=action,
        reason=reason,
        arn=arn,
        account="555555555555",
        env=env,
    )
    return seal(stream, seq, "churn-model", written, GENESIS)


def held(seq: int, version: int, env: str = "prod") -> LedgerRecord:
    return record("churn-model/promotions", seq, HistoryAction.HELD, ARN.format(version), "canary errors", env)


def released(seq: int, releases: int, env: str = "prod") -> LedgerRecord:
    reason = f"releases hold {releases}: fixed upstream"
    return record("churn-model/releases", seq, HistoryAction.RELEASED, ARN.format(1), reason, env)


def test_a_rollback_holds_its_environment_at_the_version_it_rolled_back_to() -> None:
    proposed = record("churn-model/promotions", 1, HistoryAction.ROLLBACK_PROPOSED, ARN.format(1), "roll back")
    hold = holds.current_hold("prod", [proposed, held(2, 1)], [])
    assert hold == Hold(
        "prod", ARN.format(1), "platform.engineer@example.com", "2026-12-05T10:02:00.000000Z", "canary errors", 2
    )
    assert holds.current_hold("qa", [proposed, held(2, 1)], []) is None


def test_a_later_hold_does_not_move_the_version_an_environment_is_held_at() -> None:
    assert holds.current_hold("prod", [held(2, 1), held(3, 5)], []) == holds.current_hold("prod", [held(2, 1)], [])


def test_a_release_ends_the_hold_it_names_and_every_earlier_one_and_no_later_one() -> None:
    assert holds.current_hold("prod", [held(2, 1), held(3, 1)], [released(1, 3)]) is None
    later = holds.current_hold("prod", [held(2, 1), held(4, 2)], [released(1, 2)])
    assert later is not None
    assert (later.seq, later.arn) == (4, ARN.format(2))


def test_a_release_of_another_environment_or_without_its_seq_releases_nothing() -> None:
    other = released(1, 2, env="qa")
    unnamed = record("churn-model/releases", 2, HistoryAction.RELEASED, ARN.format(1), "fixed upstream")
    hold = holds.current_hold("prod", [held(2, 1)], [other, unnamed])
    assert hold is not None
    assert hold.seq == 2


def test_a_held_environment_refuses_any_other_version_naming_the_rollback_and_the_release_command() -> None:
    hold = Hold(
        "prod", ARN.format(1), "platform.engineer@example.com", "2026-12-05T10:12:00.000000Z", "canary errors", 2
    )
    assert [str(f) for f in gates.hold_failures("churn-model", "prod", ARN.format(2), hold)] == [
        "hold: prod is held at churn-model v1 since the rollback by platform.engineer@example.com at 2026-12-05 "
        '10:12 UTC ("canary errors"); release it with `modelops release churn-model --env prod --reason ...`'
    ]
    assert gates.hold_failures("churn-model", "prod", ARN.format(1), hold) == []
    assert gates.hold_failures("churn-model", "prod", ARN.format(2), None) == []
