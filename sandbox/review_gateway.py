"""The approval API on this machine: a local HTTP server in front of the DEPLOYED review function.

It serves the REST API that the shared-services stack deployed, as API Gateway would: the routes, their
authorization types and their Lambda proxy integrations are read from the sandbox (GetResources on the
API whose URL the stack publishes in SSM, `/modelops/shared/approval-api-url`), each request becomes the
REST proxy event API Gateway sends, and the integration's function runs through the LambdaRunner.

Routes with AWS_IAM authorization check the request's Signature Version 4 signature against the
credentials the sandbox issued (moto keeps the secret key of every access key and STS session it hands out;
sandbox/sigv4.py), and the function receives the caller in `requestContext.identity` as API Gateway sends
it (`userArn`, `user`, `caller`, `accountId`, `accessKey`). A request that fails gets API Gateway's 403 and
message, and the function is not invoked.

The API's resource policy (GetRestApi `policy`) is enforced as API Gateway enforces it (sandbox/gateway_policy.py):
a caller from another account reaches an AWS_IAM method only when its identity policies and the resource
policy both allow `execute-api:Invoke` on the method; once the API has a resource policy, a method without
authorization is reached only when the policy allows the anonymous caller. A refusal is API Gateway's 403
"User: <caller ARN or anonymous> is not authorized to perform: execute-api:Invoke on resource: <method ARN>".

Where it differs from API Gateway, it says so:
- a same-account caller of an AWS_IAM method is not judged: a correctly signed request from any identity of
  the API's account the sandbox issued reaches the function, whether or not its policies allow
  `execute-api:Invoke`, and an explicit Deny in the API's policy is not applied to it either (API Gateway:
  identity policy OR resource policy must allow, and no explicit Deny). The function's own check of the
  caller is all that stands;
- signatures in the query string (presigned URLs) are not accepted; routes with other authorization types
  (Cognito, Lambda authorizers) are answered 403, since nothing here can check them;
- a path that is not a deployed route gets API Gateway's own answer, 403 "Missing Authentication Token";
- a function that raises gets API Gateway's 502 "Internal server error"; the error is kept in `failures`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from accounts import naming
from policies.iam import Policy, PolicyKind
from sandbox import local_http
from sandbox.authorization.resource_policies import compiled
from sandbox.gateway_policy import method_arn, refusal
from sandbox.lambda_runner import FunctionFailed, LambdaRunner
from sandbox.local_http import BIND_ADDRESS
from sandbox.organization import aws_endpoint
from sandbox.sigv4 import Caller, Refused, authenticate

API_URL_PARAMETER = naming.APPROVAL_API_URL_PARAMETER
# arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations
_INTEGRATION_PREFIX = "/2015-03-31/functions/"


class GatewayError(RuntimeError):
    """The deployed API cannot be served: the message names what is missing."""


@dataclass(frozen=True)
class Route:
    """One deployed method: the function its proxy integration invokes and its authorization type."""

    function_name: str
    authorization: str


@dataclass
class DeployedApi:
    """The REST API as deployed: id, stage and routes keyed by (HTTP method, resource path)."""

    api_id: str
    stage: str
    routes: dict[tuple[str, str], Route]
    policy: Policy | None = None  # the API's resource policy (GetRestApi `policy`), None when it has none


def read_deployed_api(runner: LambdaRunner) -> DeployedApi:
    """The approval API the stack deployed, from its published URL and API Gateway's resources."""
    session = runner.service_session()
    with aws_endpoint(runner.endpoint_url):
        ssm = session.client("ssm")
        try:
            url = str(ssm.get_parameter(Name=API_URL_PARAMETER)["Parameter"]["Value"])
        except ssm.exceptions.ParameterNotFound:
            raise GatewayError(
                f"SSM parameter {API_URL_PARAMETER} does not exist: deploy the shared-services stack first"
            ) from None
        parts = urlsplit(url)
        api_id = (parts.hostname or "").split(".", 1)[0]
        stage = parts.path.strip("/").split("/", 1)[0]
        if not api_id or not stage:
            raise GatewayError(
                f"SSM parameter {API_URL_PARAMETER}: expected https://<api-id>.execute-api.../<stage>/, got {url!r}"
            )
        apigateway = session.client("apigateway")
        resources = apigateway.get_resources(restApiId=api_id, embed=["methods"])["items"]
        policy_text = apigateway.get_rest_api(restApiId=api_id).get("policy")
    routes: dict[tuple[str, str], Route] = {}
    for resource in resources:
        for method, spec in (resource.get("resourceMethods") or {}).items():
            integration = spec.get("methodIntegration") or {}
            if integration.get("type") != "AWS_PROXY":
                continue
            function_arn = str(integration["uri"]).split(_INTEGRATION_PREFIX, 1)[1].removesuffix("/invocations")
            routes[(method, resource["path"])] = Route(
                function_name=function_arn.rsplit(":", 1)[1], authorization=str(spec.get("authorizationType"))
            )
    if not routes:
        raise GatewayError(f"REST API {api_id} has no Lambda proxy routes")
    policy = compiled(f"{api_id} API policy", policy_text, PolicyKind.RESOURCE) if policy_text else None
    return DeployedApi(api_id=api_id, stage=stage, routes=routes, policy=policy)


def proxy_event(
    api: DeployedApi,
    account: str,
    *,
    method: str,
    resource: str,
    query: str,
    headers: dict[str, str],
    body: str | None,
    source_ip: str,
    caller: Caller | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The REST API proxy-integration event API Gateway sends for one request (no path parameters), with
    the IAM caller's identity when the route is AWS_IAM."""
    parsed = parse_qs(query, keep_blank_values=True)
    now = now or datetime.now(UTC)
    # Every key API Gateway sends in `identity`; the IAM ones stay null unless the request was signed.
    identity: dict[str, str | None] = {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": headers.get("User-Agent"),
        "user": None,
    }
    if caller is not None:
        identity.update(caller.identity())
    return {
        "resource": resource,
        "path": resource,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in parsed.items()} or None,
        "multiValueQueryStringParameters": parsed or None,
        "pathParameters": None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": account,
            "apiId": api.api_id,
            "resourcePath": resource,
            "path": f"/{api.stage}{resource}",
            "httpMethod": method,
            "stage": api.stage,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": identity,
        },
    }


@dataclass
class ReviewGateway:
    """The local approval API. Use as a context manager; `review_url` is what review links point to.

    `clock` is the gateway's time (aware, UTC), against which signed requests' dates are checked.
    """

    runner: LambdaRunner
    api: DeployedApi = field(init=False)
    failures: list[str] = field(default_factory=list)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.api = read_deployed_api(self.runner)

    def __enter__(self) -> ReviewGateway:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The stage's base URL, as `https://<api>.execute-api.<region>.amazonaws.com/<stage>` in AWS."""
        if self._server is None:
            raise GatewayError("the review gateway is not started")
        return f"http://{BIND_ADDRESS}:{self._server.server_address[1]}/{self.api.stage}"

    @property
    def published_url(self) -> str:
        """The API's URL as the stack published it (SSM), which people outside shared services are given
        (MODELOPS_APPROVAL_API_URL); requests still reach this gateway through AWS_ENDPOINT_URL_EXECUTE_API."""
        return f"https://{self.api.api_id}.execute-api.{self.runner.config.region}.amazonaws.com/{self.api.stage}/"

    @property
    def review_url(self) -> str:
        return f"{self.url}/review"

    def start(self) -> None:
        """Serve on a free loopback port, in a background thread."""
        self._server = local_http.serve(_handler_class(self), name="review-gateway")

    def stop(self) -> None:
        local_http.close(self._server)
        self._server = None

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer one request: (status, headers in order, body). `target` and `body` are as received."""
        parts = urlsplit(target)
        prefix = f"/{self.api.stage}"
        resource = parts.path.removeprefix(prefix) if parts.path.startswith(f"{prefix}/") else None
        route = self.api.routes.get((method, resource)) if resource is not None else None
        if route is None or resource is None:
            return _api_error(403, "Missing Authentication Token")
        now = self.clock()
        caller = None
        if route.authorization == "AWS_IAM":
            try:
                caller = authenticate(
                    method=method,
                    target=target,
                    headers=headers,
                    body=body,
                    region=self.runner.config.region,
                    now=now,
                )
            except Refused as refused:
                return _api_error(403, refused.message)
        elif route.authorization != "NONE":
            return _api_error(
                403,
                f"{method} {resource} requires {route.authorization} authorization, "
                "which the sandbox gateway cannot verify",
            )
        denied = refusal(
            self.api.policy,
            arn=method_arn(
                self.runner.config.region, self.runner.account, self.api.api_id, self.api.stage, method, resource
            ),
            account=self.runner.account,
            region=self.runner.config.region,
            authorization=route.authorization,
            access_key=caller.access_key if caller else None,
            caller_account=caller.account if caller else None,
            caller_arn=caller.arn if caller else None,
        )
        if denied is not None:
            return _api_error(403, denied)
        event = proxy_event(
            self.api,
            self.runner.account,
            method=method,
            resource=resource,
            query=parts.query,
            headers=headers,
            body=body.decode("utf-8") if body else None,
            source_ip=source_ip,
            caller=caller,
            now=now,
        )
        try:
            response = self.runner.invoke(route.function_name, event).result
        except FunctionFailed as failure:
            self.failures.append(str(failure))
            return _api_error(502, "Internal server error")
        return int(response["statusCode"]), response_headers(response), str(response.get("body") or "").encode("utf-8")


def response_headers(response: dict[str, Any]) -> list[tuple[str, str]]:
    """A proxy integration's headers as API Gateway sends them: `headers` and `multiValueHeaders` merged, each
    value of a multi-value header its own header line, and a name in both taking multiValueHeaders' values."""
    multi = {str(name): [str(v) for v in values] for name, values in (response.get("multiValueHeaders") or {}).items()}
    merged = [
        (str(name), str(value))
        for name, value in (response.get("headers") or {}).items()
        if str(name).lower() not in {m.lower() for m in multi}
    ]
    return merged + [(name, value) for name, values in multi.items() for value in values]


def _api_error(status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode("utf-8")


def _handler_class(gateway: ReviewGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            # Bytes as received: a signature covers the body's exact bytes.
            body = self.rfile.read(length) if length else b""
            status, headers, payload = gateway.handle(
                method, self.path, dict(self.headers.items()), body, self.client_address[0]
            )
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, *_: Any) -> None:
            return  # requests are the function's to log

    return Handler
