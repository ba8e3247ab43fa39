"""A version's model card: the typed document, its schema check, its digest and its readable sections.

A card inside a model package follows the model *package* card schema: its `model_overview` holds only
`model_creator` and `model_artifact`, and it has no `model_package_details`; the other sections follow the
model card JSON schema (SageMaker Developer Guide, "Model package model card schema",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html; "Model card JSON schema",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards-json-schema.html; field limits as the
AWS::SageMaker::ModelCard properties of the CloudFormation reference state them). A purpose goes in
intended_uses.purpose_of_model, not in model_overview.model_description.

Every view (`modelops card`, `status`, the review page, the PR body) shows a card through `card_sections`,
so they all say the same thing in the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounts.validation import InputError

PACKAGE_CARD_OVERVIEW_KEYS = ("model_creator", "model_artifact")
RISK_RATINGS = ("High", "Medium", "Low", "Unknown")
# ModelCardContent is at most 100,000 characters (ModelPackageModelCard, SageMaker API reference).
MAX_CONTENT = 100_000
CARD_STATUSES = ("Draft", "PendingReview", "Approved", "Archived")


# -- the schema: each field's type, as a small tree of checkers -------------------------------------------------


class Field:
    """One field's type: `problem` says what is wrong with a value at `path`, or None."""

    def problem(self, value: object, path: str) -> str | None:
        raise NotImplementedError


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


@dataclass(frozen=True)
class Text(Field):
    max: int

    def problem(self, value: object, path: str) -> str | None:
        if not isinstance(value, str):
            return f"{path}: expected a string, got {_kind(value)}"
        if len(value) > self.max:
            return f"{path}: at most {self.max} characters, got {len(value)}"
        return None


@dataclass(frozen=True)
class OneOf(Field):
    values: tuple[str, ...]

    def problem(self, value: object, path: str) -> str | None:
        if value not in self.values:
            return f"{path}: {value!r} is not one of {', '.join(self.values)}"
        return None


@dataclass(frozen=True)
class Number(Field):
    def problem(self, value: object, path: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{path}: expected a number, got {_kind(value)}"
        return None


@dataclass(frozen=True)
class AnyValue(Field):
    def problem(self, value: object, path: str) -> str | None:
        return None


@dataclass(frozen=True)
class ListOf(Field):
    item: Field
    max_items: int | None = None

    def problem(self, value: object, path: str) -> str | None:
        if not isinstance(value, list):
            return f"{path}: expected a list, got {_kind(value)}"
        if self.max_items is not None and len(value) > self.max_items:
            return f"{path}: at most {self.max_items} entries, got {len(value)}"
        for index, item in enumerate(value):
            found = self.item.problem(item, f"{path}[{index}]")
            if found:
                return found
        return None


@dataclass(frozen=True)
class TextMap(Field):
    """An object of string values (custom_details, metadata)."""

    max: int

    def problem(self, value: object, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path}: expected an object of strings, got {_kind(value)}"
        for key, item in value.items():
            found = Text(self.max).problem(item, f"{path}.{key}")
            if found:
                return found
        return None


@dataclass(frozen=True)
class Obj(Field):
    fields: Mapping[str, Field]
    required: tuple[str, ...] = ()

    def problem(self, value: object, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path}: expected an object, got {_kind(value)}"
        for key in value:
            if key not in self.fields:
                return f"{path}.{key} is not part of the model card schema; {path} holds {', '.join(self.fields)}"
        for key in self.required:
            if key not in value:
                return f"{path}.{key} is required"
        for key, field in self.fields.items():
            if key in value:
                found = field.problem(value[key], f"{path}.{key}")
                if found:
                    return found
        return None


NAME_VALUE = Obj({"name": Text(1024), "value": Text(1024)}, required=("name", "value"))
METRIC = Obj({"name": Text(255), "notes": Text(1024), "value": Number()}, required=("name", "value"))
SECTIONS: dict[str, Field] = {
    "model_overview": Obj({"model_creator": Text(1024), "model_artifact": ListOf(Text(1024), max_items=15)}),
    "intended_uses": Obj(
        {
            "purpose_of_model": Text(2048),
            "intended_uses": Text(2048),
            "factors_affecting_model_efficiency": Text(2048),
            "risk_rating": OneOf(RISK_RATINGS),
            "explanations_for_risk_rating": Text(2048),
        }
    ),
    "business_details": Obj(
        {"business_problem": Text(2048), "business_stakeholders": Text(2048), "line_of_business": Text(2048)}
    ),
    "training_details": Obj(
        {
            "objective_function": Obj(
                {
                    "function": Obj({"function": Text(256), "facet": Text(256), "condition": Text(256)}),
                    "notes": Text(1024),
                }
            ),
            "training_observations": Text(1024),
            "training_job_details": Obj(
                {
                    "training_arn": Text(1024),
                    "training_datasets": ListOf(Text(1024), max_items=15),
                    "training_environment": Obj({"container_image": ListOf(Text(1024), max_items=15)}),
                    "training_metrics": ListOf(METRIC, max_items=50),
                    "user_provided_training_metrics": ListOf(METRIC, max_items=50),
                    "hyper_parameters": ListOf(NAME_VALUE, max_items=100),
                    "user_provided_hyper_parameters": ListOf(NAME_VALUE, max_items=100),
                }
            ),
        }
    ),
    "evaluation_details": ListOf(
        Obj(
            {
                "name": Text(63),
                "evaluation_observation": Text(2096),
                "evaluation_job_arn": Text(256),
                "datasets": ListOf(Text(1024), max_items=10),
                "metadata": TextMap(1024),
                "metric_groups": ListOf(
                    Obj(
                        {
                            "name": Text(63),
                            "metric_data": ListOf(
                                Obj(
                                    {
                                        "name": Text(255),
                                        "type": Text(64),
                                        "value": AnyValue(),
                                        "notes": Text(1024),
                                        "x_axis_name": AnyValue(),
                                        "y_axis_name": AnyValue(),
                                    },
                                    required=("name", "type", "value"),
                                )
                            ),
                        },
                        required=("name", "metric_data"),
                    )
                ),
            },
            required=("name",),
        )
    ),
    "additional_information": Obj(
        {
            "ethical_considerations": Text(2048),
            "caveats_and_recommendations": Text(2048),
            "custom_details": TextMap(1024),
        }
    ),
}


# -- the document ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCard:
    """A card's content, checked against the model package card schema."""

    document: dict[str, Any]

    @property
    def risk_rating(self) -> str | None:
        """intended_uses.risk_rating: High, Medium, Low or Unknown; None when the card does not rate its risk."""
        rating = (self.document.get("intended_uses") or {}).get("risk_rating")
        return str(rating) if rating is not None else None

    def content(self) -> str:
        """The card as ModelCardContent: compact JSON with sorted keys."""
        return canonical(self.document)

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical content: what a card approval records and the gate compares."""
        return hashlib.sha256(self.content().encode("utf-8")).hexdigest()


def canonical(document: object) -> str:
    """`document` as compact JSON with sorted keys."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def parse_card(text: str, source: str) -> ModelCard:
    """Check a card file's text against the model package card schema. InputError names `source` and the
    first field that is wrong, e.g. `card.json: intended_uses.risk_rating: 'severe' is not one of High, ...`."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(document, dict):
        raise InputError(f"{source}: a model card must be a JSON object, got {type(document).__name__}")
    _check_overview(document, source)
    for key, value in document.items():
        if key not in SECTIONS:
            raise InputError(f"{source}: unknown section {key!r}; a model package card has only {', '.join(SECTIONS)}")
        found = SECTIONS[key].problem(value, key)
        if found:
            raise InputError(f"{source}: {found}")
    card = ModelCard(document)
    if len(card.content()) > MAX_CONTENT:
        raise InputError(f"{source}: at most {MAX_CONTENT} characters of ModelCardContent, got {len(card.content())}")
    return card


def _check_overview(document: Mapping[str, Any], source: str) -> None:
    """The package card's own rules, with the messages registration has always given."""
    allowed = " and ".join(PACKAGE_CARD_OVERVIEW_KEYS)
    if "model_package_details" in document:
        raise InputError(f"{source}: model_package_details is not part of the model package card schema")
    overview = document.get("model_overview")
    if overview is not None and not isinstance(overview, dict):
        raise InputError(f"{source}: model_overview must be a JSON object holding only {allowed}")
    for key in overview or {}:
        if key not in PACKAGE_CARD_OVERVIEW_KEYS:
            hint = " (put the purpose in intended_uses.purpose_of_model)" if key == "model_description" else ""
            raise InputError(
                f"{source}: model_overview.{key} is not part of the model package card schema; "
                f"model_overview holds only {allowed}{hint}"
            )


def read_card(content: object) -> ModelCard | None:
    """A registered card's content as a ModelCard (None when there is none or it is not a JSON object).

    Not checked against the schema: what the registry holds is shown as it is."""
    if content is None:
        return None
    try:
        document = json.loads(str(content))
    except json.JSONDecodeError:
        return None
    return ModelCard(document) if isinstance(document, dict) else None


def content_digest(content: object) -> str | None:
    """SHA-256 of a registered card's content, canonicalised when it is JSON (so a registry that re-serialises
    the same document gives the same digest); None for no content."""
    if content is None:
        return None
    card = read_card(content)
    text = card.content() if card is not None else str(content)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the readable sections ---------------------------------------------------------------------------------------

TITLES = {
    "model_overview": "Model overview",
    "intended_uses": "Intended uses",
    "business_details": "Business details",
    "training_details": "Training details",
    "additional_information": "Additional information",
}
# The fields a reviewer reads first, in this order; the rest follow as the card has them.
LEADING = ("purpose_of_model", "intended_uses", "risk_rating", "explanations_for_risk_rating")


@dataclass(frozen=True)
class CardSection:
    """One section of a card as every view shows it: a title and `label: value` lines."""

    title: str
    lines: tuple[tuple[str, str], ...]


def _label(path: str) -> str:
    return path.replace("_", " ")


def _join(path: str, label: str) -> str:
    return f"{path} / {label}" if path else label


def _leaves(value: object, path: str) -> list[tuple[str, str]]:
    """`value` flattened to (label, text) pairs: nested objects as `a / b`, a list of named objects by their
    names, a named value (a metric, a hyper-parameter) as one line, lists of strings joined."""
    if isinstance(value, dict):
        named = bool(path) and "name" in value  # the name is already the end of the path
        if named and "value" in value:
            return _leaves(value["value"], path)
        ordered = [k for k in LEADING if k in value] + [k for k in value if k not in LEADING]
        pairs: list[tuple[str, str]] = []
        for key in ordered:
            item = value[key]
            if key == "name" and named:
                continue
            if isinstance(item, list) and item and all(isinstance(entry, dict) for entry in item):
                for index, entry in enumerate(item, start=1):
                    pairs += _leaves(entry, _join(path, str(entry.get("name") or f"{_label(key)} {index}")))
            else:
                pairs += _leaves(item, _join(path, _label(key)))
        return pairs
    if isinstance(value, list):
        return [(path, ", ".join(" ".join(str(item).split()) for item in value))] if value else []
    if value is None:
        return []
    return [(path, " ".join(str(value).split()))]


def card_sections(content: object, status: str | None) -> list[CardSection]:
    """The card as readable sections: first `Card status` (status and risk rating), then each section of the
    content in the schema's order, one per evaluation. Content that is not a JSON object is shown as text."""
    if content is None and status is None:
        return []
    card = read_card(content)
    head: list[tuple[str, str]] = [("status", status or "unknown")]
    if card is None:
        if content is not None:
            head.append(("content", " ".join(str(content).split())))
        return [CardSection("Card status", tuple(head))]
    head.append(("risk rating", card.risk_rating or "not rated"))
    sections = [CardSection("Card status", tuple(head))]
    document = card.document
    for key in SECTIONS:
        value = document.get(key)
        if not value:
            continue
        if key == "evaluation_details" and isinstance(value, list):
            for index, evaluation in enumerate(value, start=1):
                name = evaluation.get("name") if isinstance(evaluation, dict) else None
                rest = (
                    {k: v for k, v in evaluation.items() if k != "name"} if isinstance(evaluation, dict) else evaluation
                )
                sections.append(CardSection(f"Evaluation: {name or index}", tuple(_leaves(rest, ""))))
            continue
        sections.append(CardSection(TITLES.get(key, _label(key)), tuple(_leaves(value, ""))))
    return sections


def sections_text(sections: list[CardSection], indent: str = "") -> list[str]:
    """Plain-text lines of `sections`: each title, then its `label: value` lines indented by two spaces."""
    lines: list[str] = []
    for section in sections:
        lines.append(f"{indent}{section.title}")
        lines += [f"{indent}  {label}: {value}" for label, value in section.lines]
    return lines


def risk_of(content: object) -> str | None:
    """The risk rating of a registered card's content; None when there is no card or it does not rate its risk."""
    card = read_card(content)
    return card.risk_rating if card is not None else None
