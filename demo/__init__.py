"""`make demo` (`python -m demo`): a model's whole lifecycle in the sandbox organisation, step by step.

The demo follows accounts/accounts.yaml: the first configured model, along the configured chain, played by
the first data scientist and the first platform engineer of `people` and by each environment's approvers
(as many as its quorum). The image lives in the shared-services account and region, and the registered
metrics of the versions it does not train come from the model's gates: the good versions pass every
environment's gate, the rejected one fails the first environment's. If accounts.yaml lacks what the demo
needs, it exits 2 naming the field.

Every step is a `modelops` command, run in this process against the sandbox's moto server through
`AWS_ENDPOINT_URL`, with the credentials STS gives the person acting (an IAM Identity Center role whose
session name is their email). The demo works on a temporary copy of the model's manifests under
`workloads/`, so the repository's tracked files stay as they were; an environment without one gets the
manifest its first promotion writes.

Version 1 is approved in the first environment the way an approver does it: the deployed notify function
runs on the event the deployed rule routed to it, the approver's email arrives through an SQS subscription
to the deployed topic, headless Chromium opens the review link (served by the deployed review function
behind a local gateway), which offers no decision until the approver signs in with the identity provider
(a local stand-in: they type their email), types a reason and clicks Approve, and the deployed dispatch
function sends GitHub (a local stand-in) the repository_dispatch. Later approvals use `modelops approve`,
an IAM-signed request to the same deployed API (AWS_ENDPOINT_URL_EXECUTE_API points at the local gateway):
both routes end in the same decision service. Each environment needs its own group's quorum (the sample's
prod, two approvers); an approver of the first environment is refused for a later one whose group lacks
them, and an approver who registered a version is refused its approval.

What was approved is what runs: each registration uploads its artifact create-only and records the
artifact's S3 version and SHA-256 and the image's digest, which `promote` pins beside the ARN. Version 3 is
approved, then an attacker with the data-science role tries to replace its artifact with a plain PutObject:
the bucket policy refuses it (the sandbox evaluates it as AWS does; were it ever to land, the content gate
would refuse v3), and the lifecycle goes on with v4, whose artifact nobody touched.

The model lifecycle (issue 14): a model that configures `training` trains version 1 for real (the training
pipeline's step scripts on scikit-learn's bundled breast-cancer data, evaluated on held-out rows, registered
through the pipeline's register step only when the training condition holds; a weak run is refused), and the
gates read its metrics from the registered evaluation report. Its registrant submits its model card and the
card approver group approves it, through the decision service. After the first environment's deploy, a
batch-inference job runs there as `modelops-batch-<env>` and asks the next environment's approvers, with its
figures. The last environment's rollback holds it: a promotion is refused until a platform engineer releases
the hold with a reason. `modelops lineage` traces version 1 back to its data and code.

Screenshots of the sign-in form and the whole review page (metrics, model card, lineage) go to demo-output/
(gitignored).
"""
