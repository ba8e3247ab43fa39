"""`make demo` (`python -m demo`): a model's whole lifecycle in the sandbox organisation, step by step.

Every step is a `modelops` command, run in this process against the sandbox's moto server through
`AWS_ENDPOINT_URL`, with the credentials STS gives the person acting (an IAM Identity Center role whose
session name is their email). The demo works on a temporary copy of `workloads/`, so the repository's
tracked files stay as they were.

Version 1 is approved the way an approver does it: the deployed notify function runs on the event the
deployed rule routed to it, the approver's email arrives through an SQS subscription to the deployed topic,
headless Chromium opens the review link (served by the deployed review function behind a local gateway),
which offers no decision until the approver signs in with the identity provider (a local stand-in: they
type their email), types a reason and clicks Approve, and the deployed dispatch function sends GitHub (a
local stand-in) the repository_dispatch. Version 3 is approved with `modelops approve`, an IAM-signed
request to the same deployed API (AWS_ENDPOINT_URL_EXECUTE_API points at the local gateway): both routes
end in the same decision service. Prod needs two of its approvers; a qa approver is refused for prod, and
an approver who registered a version is refused its approval.

What was approved is what runs: each registration uploads its artifact create-only and records the
artifact's S3 version and SHA-256 and the image's digest, which `promote` pins beside the ARN. Version 3 is
approved, then an attacker with the data-science role replaces its artifact with a plain PutObject (in AWS
the bucket policy refuses it; the sandbox does not evaluate bucket policies yet): `promote` refuses v3,
naming the replaced object, and the lifecycle goes on with v4, whose artifact nobody touched.

Screenshots of the sign-in form and the review page go to demo-output/ (gitignored).
"""
