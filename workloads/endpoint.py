"""One model's endpoint in one workload account, built from its manifest.

Model and EndpointConfig keep CloudFormation-generated names: pinning a new version replaces both, and
CloudFormation then updates the endpoint (fixed name) to the new config, which SageMaker carries out as
a blue/green deployment with the traffic shifting and alarm rollback configured here.

The environment's endpoint key and capture bucket live in the environment's stack; an endpoint reaches them
by name (the key's alias, the bucket's derived name), never by a cross-stack export, so that each model's
stack deploys on its own.
"""

from __future__ import annotations

import math

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from workloads import capture as capture_bucket
from workloads.manifest import PROVISIONING_ALLOWANCE_SECONDS, Alarms, Autoscaling, DataCapture, Manifest, Rollout
from workloads.roles import CaptureGrant, execution_role

# SageMaker's bounds for BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds.
MIN_DEPLOYMENT_TIMEOUT_SECONDS = 600
MAX_DEPLOYMENT_TIMEOUT_SECONDS = 28_800
# A latency alarm on one slow minute would roll back on noise; two of the last three minutes is a trend.
LATENCY_EVALUATION_PERIODS = 3
LATENCY_DATAPOINTS_TO_ALARM = 2
ALARM_PERIOD_SECONDS = 60
# Scale out quickly under load, scale in slowly so a burst does not flap the fleet.
SCALE_OUT_COOLDOWN_SECONDS = 60
SCALE_IN_COOLDOWN_SECONDS = 300


def traffic_steps(rollout: Rollout) -> int:
    """How many traffic shifts a deployment makes; each is followed by a wait (the baking period)."""
    if rollout.strategy == "canary":
        return 2  # the canary, then the rest
    return math.ceil(100 / rollout.step_percent)


def deployment_timeout_seconds(rollout: Rollout) -> int:
    """An upper bound for one blue/green deployment, within SageMaker's limits.

    SageMaker requires the timeout to exceed the configured waits; provisioning the green fleet comes on top.
    """
    waits = traffic_steps(rollout) * rollout.wait_minutes * 60 + rollout.termination_wait_minutes * 60
    return min(
        MAX_DEPLOYMENT_TIMEOUT_SECONDS,
        max(MIN_DEPLOYMENT_TIMEOUT_SECONDS, waits + PROVISIONING_ALLOWANCE_SECONDS),
    )


def deployment_config(manifest: Manifest) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    """Blue/green with canary or linear traffic shifting, rolled back by the endpoint's two alarms."""
    rollout = manifest.rollout
    step = sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=rollout.step_percent)
    routing = sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
        type=rollout.strategy.upper(),
        wait_interval_in_seconds=rollout.wait_minutes * 60,
        canary_size=step if rollout.strategy == "canary" else None,
        linear_step_size=step if rollout.strategy == "linear" else None,
    )
    return sagemaker.CfnEndpoint.DeploymentConfigProperty(
        blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=routing,
            termination_wait_in_seconds=rollout.termination_wait_minutes * 60,
            maximum_execution_timeout_in_seconds=deployment_timeout_seconds(rollout),
        ),
        auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
            alarms=[
                sagemaker.CfnEndpoint.AlarmProperty(alarm_name=naming.rollback_alarm_name(manifest.model, signal))
                for signal in naming.ROLLBACK_SIGNALS
            ]
        ),
    )


def _dimensions(model: str) -> list[cloudwatch.CfnAlarm.DimensionProperty]:
    return [
        cloudwatch.CfnAlarm.DimensionProperty(name="EndpointName", value=naming.endpoint_name(model)),
        cloudwatch.CfnAlarm.DimensionProperty(name="VariantName", value=naming.VARIANT_NAME),
    ]


class RollbackAlarms(Construct):
    """The two alarms SageMaker watches during a deployment; either one in ALARM rolls traffic back."""

    def __init__(self, scope: Construct, construct_id: str, *, model: str, alarms: Alarms) -> None:
        super().__init__(scope, construct_id)
        self.errors = cloudwatch.CfnAlarm(
            self,
            "Errors",
            alarm_name=naming.rollback_alarm_name(model, "5xx-errors"),
            alarm_description=f"{model}: more than {alarms.max_5xx_errors} 5XX responses in a minute; "
            "rolls a deployment back",
            namespace=naming.ENDPOINT_METRICS_NAMESPACE,
            metric_name="Invocation5XXErrors",
            dimensions=_dimensions(model),
            statistic="Sum",
            period=ALARM_PERIOD_SECONDS,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            threshold=alarms.max_5xx_errors,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
        )
        self.latency = cloudwatch.CfnAlarm(
            self,
            "Latency",
            alarm_name=naming.rollback_alarm_name(model, "model-latency"),
            alarm_description=f"{model}: p99 model latency above {alarms.max_model_latency_ms} ms in "
            f"{LATENCY_DATAPOINTS_TO_ALARM} of {LATENCY_EVALUATION_PERIODS} minutes; rolls a deployment back",
            namespace=naming.ENDPOINT_METRICS_NAMESPACE,
            metric_name="ModelLatency",
            dimensions=_dimensions(model),
            extended_statistic="p99",
            period=ALARM_PERIOD_SECONDS,
            evaluation_periods=LATENCY_EVALUATION_PERIODS,
            datapoints_to_alarm=LATENCY_DATAPOINTS_TO_ALARM,
            # ModelLatency is reported in microseconds.
            threshold=alarms.max_model_latency_ms * 1000,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
        )


class Autoscaler(Construct):
    """Target tracking on invocations per instance, through Application Auto Scaling's service-linked role.

    SageMaker allows a model change on an autoscaled variant; changing its instance type needs the
    target deregistered first (AWS: "Update endpoints that use auto scaling").
    """

    def __init__(self, scope: Construct, construct_id: str, *, model: str, scaling: Autoscaling) -> None:
        super().__init__(scope, construct_id)
        name = naming.endpoint_name(model)
        self.target = appscaling.CfnScalableTarget(
            self,
            "Target",
            service_namespace="sagemaker",
            resource_id=f"endpoint/{name}/variant/{naming.VARIANT_NAME}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=scaling.min_instances,
            max_capacity=scaling.max_instances,
        )
        self.policy = appscaling.CfnScalingPolicy(
            self,
            "Policy",
            policy_name=f"{name}-invocations-per-instance",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=scaling.invocations_per_instance,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
                scale_in_cooldown=SCALE_IN_COOLDOWN_SECONDS,
                scale_out_cooldown=SCALE_OUT_COOLDOWN_SECONDS,
            ),
        )


class ModelEndpoint(Construct):
    """One model's execution role, Model, EndpointConfig, Endpoint, rollback alarms and autoscaling."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        env_name: str,
        manifest: Manifest,
    ) -> None:
        super().__init__(scope, construct_id)
        model = manifest.model
        account = config.environment(env_name).account
        # CreateEndpointConfig's KmsKeyId (and DataCaptureConfig's) accepts "Key ID, Key ARN, Alias name,
        # Alias name ARN" (SageMaker API reference), so the alias ARN stands in for the other stack's key.
        key = naming.endpoint_key_alias_arn(config.region, account, env_name)
        bucket = naming.data_capture_bucket(account, config.region)
        grant = (
            CaptureGrant(
                capture_bucket.objects_arn(bucket, model),
                naming.kms_keys_arn_pattern(config.region, account),
                naming.endpoint_key_alias(env_name),
            )
            if manifest.data_capture is not None
            else None
        )
        self.execution_role = execution_role(
            self, "ExecutionRole", config=config, env_name=env_name, model=model, capture=grant
        )

        # The CloudFormation execution policy creates, updates and deletes only SageMaker resources that carry
        # this tag. Set as a property rather than through `Tags.of`, which costs two jsii calls per resource.
        managed = [cdk.CfnTag(key=naming.MANAGED_TAG_KEY, value=naming.MANAGED_TAG_VALUE)]

        # Network isolation: the container gets no network; SageMaker itself fetches the artifacts and image
        # with the execution role. Models from a registry package support it (Marketplace ones require it).
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.execution_role.attr_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                model_package_name=manifest.model_package_arn
            ),
            enable_network_isolation=True,
            tags=managed,
        )

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            kms_key_id=key,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=naming.VARIANT_NAME,
                    model_name=self.model.attr_model_name,
                    instance_type=manifest.instance_type,
                    initial_instance_count=manifest.instance_count,
                    initial_variant_weight=1.0,
                )
            ],
            data_capture_config=(
                _data_capture(model, manifest.data_capture, bucket, key) if manifest.data_capture is not None else None
            ),
            tags=managed,
        )

        self.alarms = RollbackAlarms(self, "Alarms", model=model, alarms=manifest.alarms)
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=naming.endpoint_name(model),
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            deployment_config=deployment_config(manifest),
            tags=managed,
        )
        for alarm in (self.alarms.errors, self.alarms.latency):
            self.endpoint.add_resource_dependency(alarm, "the rollback configuration names this alarm")

        self.autoscaler: Autoscaler | None = None
        if manifest.autoscaling is not None:
            self.autoscaler = Autoscaler(self, "Autoscaling", model=model, scaling=manifest.autoscaling)
            self.autoscaler.target.add_resource_dependency(self.endpoint, "the variant must exist to be scaled")


def _data_capture(
    model: str, settings: DataCapture, bucket: str, key: str
) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty:
    """Capture requests and responses, encrypted with the account's endpoint key."""
    return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
        enable_capture=True,
        initial_sampling_percentage=settings.sampling_percent,
        destination_s3_uri=capture_bucket.destination(bucket, model),
        kms_key_id=key,
        capture_options=[
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
            sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
        ],
    )
