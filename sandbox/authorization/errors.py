"""Refusals in AWS's shape: each protocol's error body, and IAM's message form.

The message follows "Troubleshoot access denied error messages" (IAM user guide):
`User: <arn> is not authorized to perform: <action> on resource: <arn> because no identity-based
policy allows the <action> action`, `... with an explicit deny in a resource-based policy`, and so on.
The error codes are each service's for a refused call (AccessDenied in the query and REST-XML services,
AuthorizationError in SNS, AccessDeniedException in the JSON services).
"""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

QUERY_CODES = {"sns": "AuthorizationError"}
JSON_PROTOCOLS = frozenset({"json", "query-json"})


def message(caller: str, action: str, resource: str, why: str) -> str:
    """IAM's access-denied message; `why` starts with "because" or "with", or is empty."""
    text = f"User: {caller} is not authorized to perform: {action} on resource: {resource}"
    return f"{text} {why}" if why else text


def response(
    service: str, protocol: str, method: str, text: str, *, code: str | None = None, status: int | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of a refusal in `service`'s protocol."""
    request_id = str(uuid.uuid4())
    if protocol in JSON_PROTOCOLS:
        code = code or "AccessDeniedException"
        body = json.dumps({"__type": code, "message": text, "Message": text}).encode()
        return _status(status or 400), _headers("application/x-amz-json-1.1", code, request_id), body
    if protocol == "rest-json":
        code = code or "AccessDeniedException"
        body = json.dumps({"message": text, "Message": text}).encode()
        return _status(status or 403), _headers("application/json", code, request_id), body
    if protocol == "rest-xml":
        code = code or "AccessDenied"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(text)}</Message>'
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        return _status(status or 403), _headers("application/xml", code, request_id), b"" if method == "HEAD" else body
    code = code or QUERY_CODES.get(service, "AccessDenied")
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(text)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return _status(status or 403), _headers("text/xml", code, request_id), body


def _status(code: int) -> str:
    return {400: "400 Bad Request", 403: "403 Forbidden"}[code]


def _headers(content_type: str, code: str, request_id: str) -> list[tuple[str, str]]:
    return [("Content-Type", content_type), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)]


def invalid_key_code(service: str, protocol: str) -> tuple[str, str]:
    """AWS's code and message for an access key it never issued, in `service`'s protocol."""
    if service == "s3":
        return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
    if protocol in JSON_PROTOCOLS or protocol == "rest-json":
        return "UnrecognizedClientException", "The security token included in the request is invalid."
    return "InvalidClientTokenId", "The security token included in the request is invalid."
