"""A local HTTP server standing in for GitHub's REST API, for the calls modelops makes to it.

- `POST /repos/<owner>/<repo>/dispatches` (repository_dispatch, the dispatch Lambda) is answered 204 No
  Content, as GitHub does. The Lambda is pointed here through its GITHUB_API_URL (an override of the runner).
- The repository settings `modelops github configure` applies and reads back, kept in `settings`:
  `PUT`/`GET .../actions/oidc/customization/sub` (201 `{}`; an unset template reads `{"use_default": true}`),
  `PUT`/`GET .../environments/<name>` (200 with the environment as GitHub shows it: `protection_rules` with
  `required_reviewers` and `branch_policy`, and `deployment_branch_policy`), `GET`/`POST`
  `.../environments/<name>/deployment-branch-policies` and `DELETE .../deployment-branch-policies/<id>`
  (204), and `GET /orgs/<org>/teams/<slug>` from the teams the stand-in is given (404 for any other).
  With a `token`, these answer 401 "Bad credentials" to a request without `Authorization: Bearer <token>`.

Every request is recorded as it arrived (method, path, headers, raw and parsed body). Anything else gets
GitHub's 404 {"message": "Not Found"}; a body that is not a JSON object gets GitHub's 400 "Problems parsing
JSON"; reviewers GitHub would refuse (an unknown id, more than 6) get 422.

Where it differs from GitHub: one repository's worth of state per owner/repo path, no pagination, no
permission model beyond the one token, and environments, reviewers and branch policies only as far as
`configure` uses them (no wait timers, users as reviewers, tag policies or deployment protection rules).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox import local_http
from sandbox.local_http import BIND_ADDRESS

REPO = r"^/repos/(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
DISPATCHES_PATH = re.compile(rf"{REPO}/dispatches$")
SUBJECT_TEMPLATE_PATH = re.compile(rf"{REPO}/actions/oidc/customization/sub$")
ENVIRONMENT_PATH = re.compile(rf"{REPO}/environments/(?P<env>[^/?]+)$")
BRANCH_POLICIES_PATH = re.compile(rf"{REPO}/environments/(?P<env>[^/?]+)/deployment-branch-policies$")
BRANCH_POLICY_PATH = re.compile(rf"{REPO}/environments/(?P<env>[^/?]+)/deployment-branch-policies/(?P<id>\d+)$")
TEAM_PATH = re.compile(r"^/orgs/(?P<org>[A-Za-z0-9_.-]+)/teams/(?P<slug>[A-Za-z0-9_.-]+)$")
MAX_REVIEWERS = 6


@dataclass(frozen=True)
class RecordedRequest:
    """A request as GitHub received it; header names are lower-cased (HTTP header names are case-blind)."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: dict[str, Any]


@dataclass
class Environment:
    """A GitHub Environment as the stand-in keeps it."""

    id: int
    name: str
    prevent_self_review: bool = False
    reviewer_ids: list[int] = field(default_factory=list)
    # None: deployments from any branch; else GitHub's {protected_branches, custom_branch_policies}.
    deployment_branch_policy: dict[str, bool] | None = None
    branch_policies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RepositorySettings:
    """What the stand-in stores for the settings endpoints, by `owner/repo` (and environment name)."""

    subject_templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    environments: dict[tuple[str, str], Environment] = field(default_factory=dict)
    next_id: int = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


@dataclass
class GitHubStandIn:
    """Use as a context manager; `url` replaces https://api.github.com, `requests` holds what arrived.

    `teams` maps `org/slug` to the team's id; `settings` is what the settings endpoints stored.
    """

    requests: list[RecordedRequest] = field(default_factory=list)
    teams: dict[str, int] = field(default_factory=dict)
    token: str | None = None
    settings: RepositorySettings = field(default_factory=RepositorySettings)
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> GitHubStandIn:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the GitHub stand-in is not started")
        return f"http://{BIND_ADDRESS}:{self._server.server_address[1]}"

    def start(self) -> None:
        """Serve on a free loopback port, in a background thread."""
        self._server = local_http.serve(_handler_class(self), name="github-stand-in")

    def stop(self) -> None:
        local_http.close(self._server)
        self._server = None


def environment_json(stand_in: GitHubStandIn, environment: Environment) -> dict[str, Any]:
    """An environment as GitHub's `GET .../environments/<name>` shows it."""
    slugs = {team_id: key.split("/", 1)[1] for key, team_id in stand_in.teams.items()}
    rules: list[dict[str, Any]] = []
    if environment.reviewer_ids:
        rules.append(
            {
                "id": environment.id * 10 + 1,
                "type": "required_reviewers",
                "prevent_self_review": environment.prevent_self_review,
                "reviewers": [
                    {"type": "Team", "reviewer": {"id": team_id, "slug": slugs[team_id], "name": slugs[team_id]}}
                    for team_id in environment.reviewer_ids
                ],
            }
        )
    if environment.deployment_branch_policy is not None:
        rules.append({"id": environment.id * 10 + 2, "type": "branch_policy"})
    return {
        "id": environment.id,
        "name": environment.name,
        "protection_rules": rules,
        "deployment_branch_policy": environment.deployment_branch_policy,
    }


class _Handler(BaseHTTPRequestHandler):
    """The stand-in's request handler; `_handler_class` binds it to one stand-in."""

    stand_in: GitHubStandIn

    def _reply(self, status: int, message: str | None = None, payload: Any = None) -> None:
        if message:
            payload = {"message": message}
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _receive(self, method: str) -> RecordedRequest | None:
        """Record the request; None (after answering 400) when a body that should be JSON is not."""
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body: Any = {}
        if method in ("POST", "PUT"):
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                body = None
            if not isinstance(body, dict):
                self._reply(400, "Problems parsing JSON")
                return None
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = RecordedRequest(method, self.path, headers, raw, body)
        self.stand_in.requests.append(request)
        return request

    def _authorized(self, request: RecordedRequest) -> bool:
        if self.stand_in.token is None or request.headers.get("authorization") == f"Bearer {self.stand_in.token}":
            return True
        self._reply(401, "Bad credentials")
        return False

    def _handle(self, method: str) -> None:
        request = self._receive(method)
        if request is None:
            return
        path = self.path.split("?", 1)[0]
        if method == "POST" and DISPATCHES_PATH.fullmatch(path):
            self._reply(204)
            return
        routes = (
            (SUBJECT_TEMPLATE_PATH, self._subject_template),
            (ENVIRONMENT_PATH, self._environment),
            (BRANCH_POLICIES_PATH, self._branch_policies),
            (BRANCH_POLICY_PATH, self._branch_policy),
            (TEAM_PATH, self._team),
        )
        for pattern, route in routes:
            match = pattern.fullmatch(path)
            if match is not None:
                if self._authorized(request):
                    route(method, match, request.body)
                return
        self._reply(404, "Not Found")

    def _subject_template(self, method: str, match: re.Match[str], body: dict[str, Any]) -> None:
        repo = match["repo"]
        if method == "GET":
            self._reply(200, payload=self.stand_in.settings.subject_templates.get(repo, {"use_default": True}))
        elif method == "PUT":
            keys = body.get("include_claim_keys")
            if not isinstance(body.get("use_default"), bool) or (
                keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys))
            ):
                self._reply(422, "Invalid request.")
                return
            template: dict[str, Any] = {"use_default": body["use_default"]}
            if keys is not None:
                template["include_claim_keys"] = keys
            self.stand_in.settings.subject_templates[repo] = template
            self._reply(201, payload={})
        else:
            self._reply(404, "Not Found")

    def _environment(self, method: str, match: re.Match[str], body: dict[str, Any]) -> None:
        key = (match["repo"], match["env"])
        if method == "GET":
            found = self.stand_in.settings.environments.get(key)
            if found is None:
                self._reply(404, "Not Found")
            else:
                self._reply(200, payload=environment_json(self.stand_in, found))
            return
        if method != "PUT":
            self._reply(404, "Not Found")
            return
        reviewers = body.get("reviewers")
        ids: list[int] = []
        if reviewers is not None:
            known = set(self.stand_in.teams.values())
            ids = [
                r["id"] for r in reviewers if isinstance(r, dict) and r.get("type") == "Team" and r.get("id") in known
            ]
            if len(reviewers) > MAX_REVIEWERS or len(ids) != len(reviewers):
                self._reply(422, "Invalid reviewers.")
                return
        environment = self.stand_in.settings.environments.get(key) or Environment(
            self.stand_in.settings.new_id(), match["env"]
        )
        if "prevent_self_review" in body:
            environment.prevent_self_review = bool(body["prevent_self_review"])
        if reviewers is not None:
            environment.reviewer_ids = ids
        if "deployment_branch_policy" in body:
            environment.deployment_branch_policy = body["deployment_branch_policy"]
        self.stand_in.settings.environments[key] = environment
        self._reply(200, payload=environment_json(self.stand_in, environment))

    def _branch_policies(self, method: str, match: re.Match[str], body: dict[str, Any]) -> None:
        environment = self.stand_in.settings.environments.get((match["repo"], match["env"]))
        if environment is None:
            self._reply(404, "Not Found")
        elif method == "GET":
            policies = environment.branch_policies
            self._reply(200, payload={"total_count": len(policies), "branch_policies": policies})
        elif method == "POST" and isinstance(body.get("name"), str):
            policy = {"id": self.stand_in.settings.new_id(), "name": body["name"], "type": body.get("type", "branch")}
            environment.branch_policies.append(policy)
            self._reply(200, payload=policy)
        else:
            self._reply(404, "Not Found")

    def _branch_policy(self, method: str, match: re.Match[str], body: dict[str, Any]) -> None:
        environment = self.stand_in.settings.environments.get((match["repo"], match["env"]))
        policies = environment.branch_policies if environment is not None else []
        kept = [policy for policy in policies if policy["id"] != int(match["id"])]
        if method != "DELETE" or environment is None or len(kept) == len(policies):
            self._reply(404, "Not Found")
            return
        environment.branch_policies = kept
        self._reply(204)

    def _team(self, method: str, match: re.Match[str], body: dict[str, Any]) -> None:
        team_id = self.stand_in.teams.get(f"{match['org']}/{match['slug']}")
        if method != "GET" or team_id is None:
            self._reply(404, "Not Found")
            return
        self._reply(200, payload={"id": team_id, "slug": match["slug"], "name": match["slug"]})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, *_: Any) -> None:
        return


def _handler_class(stand_in: GitHubStandIn) -> type[BaseHTTPRequestHandler]:
    return type("GitHubStandInHandler", (_Handler,), {"stand_in": stand_in})
