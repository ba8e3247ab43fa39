"""What a request to the sandbox asks for: who signed it, which service and operation, with which parameters.

A request names its service and region in its SigV4 credential scope
(`Credential=<access key>/<date>/<region>/<service>/aws4_request`, "Elements of an AWS API request
signature" in the IAM user guide), in the Authorization header or, for a presigned URL, in
`X-Amz-Credential`. The operation and its parameters are read with botocore's service model, through
moto's router and protocol parsers: the same reading moto's own dispatch makes, before moto acts on it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import Request, determine_request_protocol
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model

CREDENTIAL = re.compile(r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")

# The SigV4 signing name of a service, where botocore's service name differs (sagemaker's runtime is told
# apart by its path, below).
SIGNING_NAMES = {"monitoring": "cloudwatch", "execute-api": "apigateway"}
RUNTIME_PATH = re.compile(r"^/endpoints/[^/]+/invocations$")
# Services whose request bodies the decision never reads: an S3 object is not parsed (it may be large).
BODY_UNREAD = frozenset({"s3"})


class UndecodableCall(ValueError):
    """The request names no operation of its service that botocore's model knows."""


@dataclass(frozen=True)
class Call:
    """One API call: `service` is botocore's service name, `operation` botocore's operation name."""

    service: str
    operation: str
    region: str
    access_key: str | None
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    protocol: str = "json"
    method: str = "POST"
    path: str = "/"

    @property
    def signed(self) -> bool:
        """Whether the request carries SigV4 credentials."""
        return self.access_key is not None


def credential_scope(environ: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(access key, region, signing name) of a SigV4-signed request, or None when it is unsigned."""
    text = environ.get("HTTP_AUTHORIZATION", "")
    match = CREDENTIAL.search(text)
    if match is None and "X-Amz-Credential" in environ.get("QUERY_STRING", ""):
        credential = parse_qs(environ["QUERY_STRING"]).get("X-Amz-Credential", [""])[0]
        match = CREDENTIAL.search(f"Credential={credential}")
    if match is None:
        return None
    return match["key"], match["region"], match["service"]


def buffered_request(environ: dict[str, Any]) -> Request:
    """A moto Request over `environ`, after reading the body into memory so moto can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return Request(dict(environ, **{"wsgi.input": io.BytesIO(body)}))


def _s3_query(request: Request) -> dict[str, str]:
    """The S3 parameters IAM's context reads from the query string and headers (the body is not read)."""
    found = {"VersionId": request.args.get("versionId"), "Prefix": request.args.get("prefix")}
    found["CopySource"] = request.headers.get("x-amz-copy-source")
    return {name: value for name, value in found.items() if value is not None}


def decode(environ: dict[str, Any], *, unsigned_service: str | None = None) -> Call:
    """The call a WSGI request makes. An unsigned request names its service by `unsigned_service` (STS's
    web-identity and SAML calls are unsigned, as AWS documents)."""
    scope = credential_scope(environ)
    if scope is None:
        if unsigned_service is None:
            raise UndecodableCall("the request is not signed")
        access_key, region, signing = None, environ.get("AWS_REGION", "us-east-1"), unsigned_service
    else:
        access_key, region, signing = scope
    service = SIGNING_NAMES.get(signing, signing)
    if service == "sagemaker" and RUNTIME_PATH.match(environ.get("PATH_INFO", "")):
        service = "sagemaker-runtime"
    request = buffered_request(environ)
    try:
        operation, uri_params = get_service_router(service).match(request)
    except Exception as error:  # werkzeug's NotFound, moto's NotImplementedError: no operation matches
        raise UndecodableCall(
            f"{request.method} {request.path} matches no {service} operation botocore knows"
        ) from error
    model = get_service_model(service)
    protocol = determine_request_protocol(model, request.content_type)
    params: Mapping[str, Any] = dict(uri_params)
    if service in BODY_UNREAD:
        params = dict(uri_params, **_s3_query(request))
    else:
        parser = PROTOCOL_PARSERS[protocol](operation, map_type=dict)
        params = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": uri_params,
            }
        )
    headers = {key.lower(): value for key, value in request.headers.items()}
    return Call(service, operation.name, region, access_key, params, headers, protocol, request.method, request.path)
