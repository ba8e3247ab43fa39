"""moto's CloudFormation, brought to the deploy semantics AWS documents for the stacks modelops deploys.

What moto 5.2.5 does, and what AWS does instead (AWS CloudFormation User Guide, "Update behaviors of
stack resources" and "Stack status codes"):
- A failing resource raises out of CreateStack/UpdateStack as an API error. AWS accepts the request,
  records `CREATE_FAILED`/`UPDATE_FAILED` on the resource with the reason, and rolls the stack back
  (`ROLLBACK_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`), so the previous resources keep serving.
- An update diffs the raw template, so a resource whose properties resolve to a new value through a
  Ref or GetAtt (an EndpointConfig naming a replaced Model) is not updated. AWS compares resolved
  properties and updates every dependent resource, in dependency order.
- A replacement deletes the old resource before creating the new one. AWS creates the new one first and
  deletes the old one in the cleanup phase, after every resource has updated.
- SageMaker: EndpointName, ModelName and EndpointConfigName are ignored, Containers fails, DeploymentConfig
  is dropped and an endpoint update deletes and recreates the endpoint. AWS honours the names, and an
  EndpointConfigName change is an in-place UpdateEndpoint ("Update requires: No interruption").
- UpdateStack with an unchanged template and no parameters runs anyway. AWS answers ValidationError
  "No updates are to be performed."

`stacks`: create and update outcomes, and the unchanged-update check; `updates`: the update engine;
`failures`: what a failed resource records. The SageMaker types are in `cfn_resources.sagemaker`.
"""
