"""The review pages: plain HTML, every value escaped, no script, usable by keyboard and screen reader.

The decision form is on the page only for the person the link was sent to, signed in for this link;
anyone else sees the version and a way to sign in (`decision_section`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from promotion.card import CardSection
from shared_services.handlers.signin import same_person

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.5}
main{max-width:52rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1rem;margin:1rem 0 .25rem}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #999;padding:.35rem .6rem;text-align:left}
th{background:#f0f0f0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}
textarea{width:100%;min-height:6rem;font:inherit;padding:.4rem;border:2px solid #555}
.actions{display:flex;gap:1rem;margin-top:1rem}
button{font:inherit;font-weight:600;padding:.6rem 1.4rem;border:2px solid #1b1b1b;cursor:pointer}
.approve{background:#0b6e2e;color:#fff}
.reject{background:#a4161a;color:#fff}
.signin{display:inline-block;font-weight:600;padding:.6rem 1.4rem;border:2px solid #1b1b1b;background:#1f3f7f}
.signin{color:#fff;text-decoration:none}
button:focus,textarea:focus,a:focus{outline:3px solid #1f5fbf;outline-offset:2px}
.note{background:#f6f6f6;border-left:4px solid #555;padding:.6rem 1rem}
.error{border-left-color:#a4161a}
.ok{border-left-color:#0b6e2e}
""".strip()

# No script runs on these pages; the only inline code is the stylesheet, allowed by its hash.
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
SECURITY_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    # The review link carries the token in its query string: never leak it through Referer or caches.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}

UNKNOWN = "unknown"


@dataclass(frozen=True)
class MetricRow:
    """One metric: the candidate's value, the live version's value and the environment's threshold."""

    name: str
    candidate: str
    live: str = UNKNOWN
    threshold: str = "none"


@dataclass(frozen=True)
class ReviewView:
    """Everything the review page shows about one version and one pending decision."""

    model: str
    version: int
    arn: str
    env: str
    approver: str
    status: str
    registered_by: str
    created: str
    description: str
    expires_at: int
    token: str
    live_version: str = UNKNOWN
    metrics: list[MetricRow] = field(default_factory=list)
    model_card: str = ""
    lineage: list[tuple[str, str]] = field(default_factory=list)
    # Who is signed in for this link (None: nobody), and why a sign-in was not accepted, if one was sent.
    signed_in_as: str | None = None
    sign_in_problem: str = ""
    # The environment's decisions so far, one line (its quorum under way), or "none yet".
    decisions_so_far: str = "none yet"
    # Where the metrics come from (the registered evaluation report, or self-reported), and the DataZone project.
    metrics_source: str = ""
    datazone_project: str = ""
    # The model card as readable sections (promotion.card.card_sections); `model_card` is shown when empty.
    card_sections: tuple[CardSection, ...] = ()


def _document(title: str, body: str, *, refresh_to: str | None = None) -> str:
    """The page; with `refresh_to`, the browser moves on to that (relative, escaped) URL at once."""
    refresh = f'<meta http-equiv="refresh" content="0; url={refresh_to}">\n' if refresh_to is not None else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="referrer" content="no-referrer">\n{refresh}'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _definition_list(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f"<dl>{rows}</dl>"


def _expiry(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def review_page(view: ReviewView) -> str:
    """The GET page: details, metrics against the live version, model card, lineage and the decision form."""
    title = f"Review {view.model} version {view.version} for {view.env}"
    details = _definition_list(
        [
            ("Model", view.model),
            ("Version", str(view.version)),
            ("Model package ARN", view.arn),
            ("Registry status", view.status),
            ("Registered by", view.registered_by),
            ("Registered at", view.created),
            ("Description", view.description or "none"),
            ("Target environment", view.env),
            ("Decisions for it so far", view.decisions_so_far),
            ("Version live there", view.live_version),
            *([("DataZone project", view.datazone_project)] if view.datazone_project else []),
        ]
    )
    if view.metrics:
        rows = "".join(
            f'<tr><th scope="row">{escape(m.name)}</th><td>{escape(m.candidate)}</td>'
            f"<td>{escape(m.live)}</td><td>{escape(m.threshold)}</td></tr>"
            for m in view.metrics
        )
        metrics = (
            f"<table><caption>Metrics of version {view.version} against the version live in "
            f"{escape(view.env)} ({escape(view.live_version)})"
            f"{'; metrics ' + escape(view.metrics_source) if view.metrics_source else ''}</caption>"
            '<thead><tr><th scope="col">Metric</th><th scope="col">This version</th>'
            '<th scope="col">Live version</th><th scope="col">Threshold</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    else:
        metrics = "<p>No metrics were registered with this version.</p>"
    card = card_html(view)
    lineage = _definition_list(view.lineage) if view.lineage else "<p>No lineage was registered.</p>"
    body = (
        f'<h1>{escape(title)}</h1>\n<section aria-labelledby="details"><h2 id="details">Details</h2>'
        f'{details}</section>\n<section aria-labelledby="metrics"><h2 id="metrics">Metrics</h2>{metrics}'
        f'</section>\n<section aria-labelledby="card"><h2 id="card">Model card</h2>{card}</section>\n'
        f'<section aria-labelledby="lineage"><h2 id="lineage">Lineage</h2>{lineage}</section>\n'
        f'<section aria-labelledby="decide"><h2 id="decide">Decision</h2>{decision_section(view)}</section>'
    )
    return _document(title, body)


def card_html(view: ReviewView) -> str:
    """The model card: a heading and a definition list per section, every value escaped."""
    if view.card_sections:
        return "".join(
            f"<h3>{escape(section.title)}</h3>{_definition_list(list(section.lines))}" for section in view.card_sections
        )
    return f"<p>{escape(view.model_card)}</p>" if view.model_card else "<p>No model card was registered.</p>"


def _form(view: ReviewView) -> str:
    return (
        '<form method="post" action="decision">'
        f'<input type="hidden" name="token" value="{escape(view.token)}">'
        '<label for="reason">Reason for your decision (recorded in the audit history)</label>'
        '<textarea id="reason" name="reason" required maxlength="1000" '
        'aria-describedby="reason-help"></textarea>'
        f'<p id="reason-help">You are deciding as {escape(view.approver)}. This link works once and '
        f"expires {escape(_expiry(view.expires_at))}.</p>"
        '<div class="actions">'
        '<button type="submit" name="decision" value="Approved" class="approve">Approve</button>'
        '<button type="submit" name="decision" value="Rejected" class="reject">Reject</button>'
        "</div></form>"
    )


def decision_section(view: ReviewView) -> str:
    """The form for the approver signed in for this link; otherwise why not, and a link to sign in.

    Signing in is a link, not a form: the page's form-action policy would stop a form redirected to the
    identity provider.
    """
    if view.signed_in_as is not None and same_person(view.signed_in_as, view.approver):
        return _form(view)
    href = escape(f"signin?{urlencode({'token': view.token})}")
    sign_in = f'<p><a class="signin" href="{href}">Sign in as {escape(view.approver)} to decide</a></p>'
    if view.signed_in_as is not None:
        refusal = (
            f'<p class="note error" role="alert">Signed in as {escape(view.signed_in_as)}, but this link was '
            f"sent to {escape(view.approver)}. Only {escape(view.approver)} can decide with it.</p>"
        )
        return refusal + sign_in
    problem = (
        f'<p class="note" role="status">{escape(view.sign_in_problem[:1].upper() + view.sign_in_problem[1:])}.</p>'
        if view.sign_in_problem
        else ""
    )
    return (
        f"{problem}<p>This link was sent to {escape(view.approver)}. To approve or reject, sign in with your "
        "organisation's account; opening this page changes nothing.</p>" + sign_in
    )


def result_page(*, model: str, version: int, env: str, decision: str, approver: str) -> str:
    """The page after a recorded decision."""
    title = f"{decision}: {model} version {version} for {env}"
    body = (
        f"<h1>{escape(title)}</h1>"
        f'<p class="note ok" role="status">Your decision was recorded in the model registry and in the '
        f"audit history as {escape(approver)}. You can close this page.</p>"
    )
    return _document(title, body)


def error_page(title: str, message: str) -> str:
    """A refused request: what went wrong, in one sentence, and that nothing was changed."""
    body = (
        f'<h1>{escape(title)}</h1><p class="note error" role="alert">{escape(message)}</p><p>Nothing was changed.</p>'
    )
    return _document(title, body)


def signed_in_page(*, email: str, review_token: str) -> str:
    """After the identity provider's callback: signed in, and on to the review page.

    A page that moves on (meta refresh, and a link) rather than a redirect: the browser arrives here from
    the identity provider's site, and a redirect would carry that cross-site origin on to the review page,
    where the SameSite=Strict session cookie would then not be sent.
    """
    href = escape(f"review?{urlencode({'token': review_token})}")
    title = f"Signed in as {email}"
    body = (
        f'<h1>{escape(title)}</h1><p class="note ok" role="status">You are signed in for this review link for '
        f'15 minutes.</p><p><a class="signin" href="{href}">Continue to the review page</a></p>'
    )
    return _document(title, body, refresh_to=href)
