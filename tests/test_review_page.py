"""The review pages: every value escaped, no script, labelled form controls, headers that keep the token
out of referrers and caches, and a decision form only for the approver signed in for the link."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

from shared_services.handlers import page

HOSTILE = '<script>alert("x")</script>&"\''


class Collector(HTMLParser):
    """Tags with their attributes, and the text, of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    return collector


def view(**overrides: object) -> page.ReviewView:
    values: dict[str, object] = {
        "model": "churn-model",
        "version": 3,
        "arn": "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3",
        "env": "qa",
        "approver": "qa.approver@example.com",
        "status": "PendingManualApproval",
        "registered_by": "ds@example.com",
        "created": "2026-11-22 10:00 UTC",
        "description": "v3",
        "expires_at": 1795600800,
        "token": "payload.mac",
        "live_version": "version 1",
        "metrics": [page.MetricRow(name="auc", candidate="0.91", live="0.88", threshold="min 0.8")],
        "model_card": "intended use: churn",
        "lineage": [("Source commit", "abc123")],
        "signed_in_as": "qa.approver@example.com",
    }
    values.update(overrides)
    return page.ReviewView(**values)  # type: ignore[arg-type]


def text_of(html: str) -> str:
    return " ".join(" ".join(parse(html).text).split())


def test_every_registry_value_is_escaped() -> None:
    html = page.review_page(
        view(
            description=HOSTILE,
            registered_by=HOSTILE,
            model_card=HOSTILE,
            lineage=[("Source commit", HOSTILE)],
            metrics=[page.MetricRow(name=HOSTILE, candidate="1")],
        )
    )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#x27;") == 5
    assert parse(html).find("script") == []


def test_the_page_is_a_labelled_form_with_two_named_buttons_and_no_script() -> None:
    parsed = parse(page.review_page(view()))
    assert parsed.find("html") == [{"lang": "en"}]
    assert parsed.find("form") == [{"method": "post", "action": "decision"}]
    assert parsed.find("label") == [{"for": "reason"}]
    assert parsed.find("textarea") == [
        {
            "id": "reason",
            "name": "reason",
            "required": None,
            "maxlength": "1000",
            "aria-describedby": "reason-help",
        }
    ]
    assert [(b["name"], b["value"]) for b in parsed.find("button")] == [
        ("decision", "Approved"),
        ("decision", "Rejected"),
    ]
    assert parsed.find("input") == [{"type": "hidden", "name": "token", "value": "payload.mac"}]
    assert parsed.find("script") == []
    assert len(parsed.find("main")) == 1


def test_metrics_are_a_table_with_header_cells_against_the_live_version() -> None:
    parsed = parse(page.review_page(view()))
    assert [attrs.get("scope") for attrs in parsed.find("th")] == ["col", "col", "col", "col", "row"]
    text = " ".join(" ".join(parsed.text).split())
    assert "Metrics of version 3 against the version live in qa (version 1)" in text
    assert "auc 0.91 0.88 min 0.8" in text


def test_the_page_says_who_decides_and_until_when() -> None:
    text = " ".join(" ".join(parse(page.review_page(view())).text).split())
    assert "You are deciding as qa.approver@example.com. This link works once and expires 2026-11-25 10:00 UTC." in text


def test_the_stylesheet_is_the_only_inline_code_and_the_policy_allows_only_its_hash() -> None:
    digest = base64.b64encode(hashlib.sha256(page.STYLE.encode()).digest()).decode()
    assert page.SECURITY_HEADERS["Content-Security-Policy"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    assert f"<style>{page.STYLE}</style>" in page.review_page(view())


def test_the_token_in_the_link_never_leaves_through_referrers_or_caches() -> None:
    assert page.SECURITY_HEADERS["Referrer-Policy"] == "no-referrer"
    assert page.SECURITY_HEADERS["Cache-Control"] == "no-store"
    assert parse(page.review_page(view())).find("meta")[2] == {"name": "referrer", "content": "no-referrer"}


def test_an_error_page_states_the_problem_as_an_alert_and_that_nothing_changed() -> None:
    html = page.error_page("This review link has expired", "the review link has expired; ask for a new one")
    parsed = parse(html)
    assert parsed.find("p")[0] == {"class": "note error", "role": "alert"}
    assert [t for t in parsed.text if t.strip()][-3:] == [
        "This review link has expired",
        "the review link has expired; ask for a new one",
        "Nothing was changed.",
    ]


def test_the_result_page_names_the_decision_version_environment_and_approver() -> None:
    html = page.result_page(model="churn-model", version=3, env="qa", decision="Approved", approver="a@example.com")
    assert "<title>Approved: churn-model version 3 for qa</title>" in html
    assert "in the audit history as a@example.com" in html


def test_the_decision_form_is_only_for_the_approver_signed_in_for_the_link() -> None:
    assert len(parse(page.review_page(view(signed_in_as="QA.Approver@example.com"))).find("form")) == 1
    for visitor in (None, "prod.approver@example.com"):
        parsed = parse(page.review_page(view(signed_in_as=visitor)))
        assert (parsed.find("form"), parsed.find("textarea"), parsed.find("button")) == ([], [], [])
        assert parsed.find("a") == [{"class": "signin", "href": "signin?token=payload.mac"}]
        assert "Sign in as qa.approver@example.com to decide" in text_of(page.review_page(view(signed_in_as=visitor)))


def test_a_visitor_who_is_not_signed_in_is_told_whom_the_link_is_for_and_that_opening_it_changes_nothing() -> None:
    text = text_of(page.review_page(view(signed_in_as=None)))
    assert text.endswith(
        "This link was sent to qa.approver@example.com. To approve or reject, sign in with your organisation's "
        "account; opening this page changes nothing. Sign in as qa.approver@example.com to decide"
    )


def test_someone_else_signed_in_is_refused_in_an_alert() -> None:
    html = page.review_page(view(signed_in_as="prod.approver@example.com"))
    assert (
        '<p class="note error" role="alert">Signed in as prod.approver@example.com, but this link was sent to '
        "qa.approver@example.com. Only qa.approver@example.com can decide with it.</p>"
    ) in html


def test_a_session_that_was_not_accepted_is_explained_before_the_sign_in_link() -> None:
    html = page.review_page(view(signed_in_as=None, sign_in_problem="your sign-in has expired (it lasts 15 minutes)"))
    assert '<p class="note" role="status">Your sign-in has expired (it lasts 15 minutes).</p>' in html


def test_the_signed_in_email_from_the_identity_provider_is_escaped() -> None:
    html = page.review_page(view(signed_in_as="<b>\"x'@evil.example"))
    assert "Signed in as &lt;b&gt;&quot;x&#x27;@evil.example, but" in html
    assert parse(html).find("b") == []


def test_after_sign_in_a_page_without_script_moves_on_to_the_review_page() -> None:
    html = page.signed_in_page(email="qa.approver@example.com", review_token="payload.mac")
    parsed = parse(html)
    assert parsed.find("meta")[3] == {"http-equiv": "refresh", "content": "0; url=review?token=payload.mac"}
    assert parsed.find("a") == [{"class": "signin", "href": "review?token=payload.mac"}]
    assert parsed.find("script") == []
    assert "<title>Signed in as qa.approver@example.com</title>" in html


def test_the_page_shows_the_environments_decisions_so_far() -> None:
    halfway = "PendingApproval by prod.approver@example.com at 2026-11-23T09:00:00Z (1 of 2 approvals)"
    assert "<dt>Decisions for it so far</dt><dd>none yet</dd>" in page.review_page(view())
    shown = page.review_page(view(decisions_so_far=halfway))
    assert f"<dt>Decisions for it so far</dt><dd>{halfway}</dd>" in shown
