"""Deploying template.yaml into moto: every resource is created from its definition in the template.

Each resource type the template uses has one deployer below; a type without one fails loudly,
so a resource added to the template can never be silently missing on the laptop.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import boto3

from tidemark.local.event_rules import put_rule
from tidemark.local.template import ACCOUNT_ID, REGION, Resolver, load, with_globals

LOCAL_ROLE = "tidemark-local-execution"
# Locally the console page is served by the HTTP API at its origin's /: nothing of CloudFront is deployed.
CLOUDFRONT = (
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::CachePolicy",
)


@dataclass(frozen=True)
class Deployed:
    type: str
    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    module: str
    attribute: str
    environment: dict[str, str]
    timeout: int


@dataclass(frozen=True)
class SqsEventSource:
    function: str
    queue_url: str
    batch_size: int
    max_concurrency: int
    report_failures: bool


@dataclass(frozen=True)
class StreamEventSource:
    """A DynamoDB stream event source: the filter patterns are EventBridge-style, as Lambda reads them."""

    function: str
    stream_arn: str
    starting_position: str
    batch_size: int
    filters: list[dict[str, Any]]
    max_retries: int
    report_failures: bool
    on_failure_queue_url: str | None


@dataclass(frozen=True)
class EventRule:
    """An EventBridge rule that invokes a function with the events its pattern matches."""

    function: str
    pattern: dict[str, Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    authorizer: str  # NONE, or the name of one of the API's JWT authorizers


@dataclass(frozen=True)
class JwtAuthorizer:
    """An HTTP API JWT authorizer: the token from `identity_source`, issued by `issuer`, for `audience`."""

    name: str
    issuer: str
    audience: list[str]
    identity_source: str


@dataclass
class Deployment:
    stack_name: str
    resources: dict[str, Deployed] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    event_sources: list[SqsEventSource] = field(default_factory=list)
    stream_sources: list[StreamEventSource] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, JwtAuthorizer] = field(default_factory=dict)
    rules: list[EventRule] = field(default_factory=list)
    schedule_groups: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


class UnsupportedResource(ValueError):
    pass


class _Deployer:
    def __init__(self, template_path: Path, stack_name: str, parameters: dict[str, str]) -> None:
        self.base = template_path.parent
        self.template = load(template_path)
        self.result = Deployment(stack_name)
        self.resolve = Resolver(self.template, stack_name, self.ref, self.get_att, parameters)
        self._in_progress: set[str] = set()
        # (function, pattern): resolved once every resource is deployed, since a rule's pattern
        # may name a resource that needs its function (a state machine that runs it)
        self._rule_patterns: list[tuple[str, Any]] = []
        region = REGION
        self.aws: Callable[[str], Any] = lambda service: boto3.client(service, region_name=region)  # type: ignore[call-overload]
        self._deployers: dict[str, Callable[[str, dict[str, Any]], Deployed]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::Serverless::Function": self._function,
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::Serverless::StateMachine": self._state_machine,
            "AWS::Serverless::HttpApi": self._http_api,
            "AWS::Scheduler::ScheduleGroup": self._schedule_group,
            "AWS::IAM::Role": self._role,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            **dict.fromkeys(CLOUDFRONT, self._cloudfront),
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::CloudWatch::Dashboard": self._dashboard,
            "AWS::Events::Rule": partial(put_rule, self),
        }

    def run(self) -> Deployment:
        self.aws("iam").create_role(RoleName=LOCAL_ROLE, AssumeRolePolicyDocument="{}")
        for logical_id, resource in self.template["Resources"].items():
            if self._wanted(resource):
                self.deploy(logical_id)
        self.result.rules = [EventRule(name, self.resolve(pattern)) for name, pattern in self._rule_patterns]
        self.result.outputs = {
            name: str(self.resolve(spec["Value"])) for name, spec in self.template.get("Outputs", {}).items()
        }
        return self.result

    def deploy(self, logical_id: str) -> Deployed:
        if logical_id in self.result.resources:
            return self.result.resources[logical_id]
        if logical_id not in self.template["Resources"]:
            raise KeyError(f"template.yaml refers to '{logical_id}', which it does not define")
        if logical_id in self._in_progress:
            raise ValueError(f"circular reference through '{logical_id}'")
        resource = self.template["Resources"][logical_id]
        if not self._wanted(resource):
            raise KeyError(f"'{logical_id}' is not deployed: its condition {resource['Condition']} is false")
        self._in_progress.add(logical_id)
        deployer = self._deployers.get(resource["Type"])
        if deployer is None:
            raise UnsupportedResource(
                f"local mode cannot deploy {logical_id} ({resource['Type']}): add a deployer"
            )
        deployed = deployer(logical_id, resource)
        self.result.resources[logical_id] = deployed
        return deployed

    def _wanted(self, resource: dict[str, Any]) -> bool:
        return "Condition" not in resource or self.resolve.condition(resource["Condition"])

    def ref(self, logical_id: str) -> str:
        return self.deploy(logical_id).ref

    def get_att(self, logical_id: str, attribute: str) -> str:
        deployed = self.deploy(logical_id)
        if attribute not in deployed.attributes:
            raise KeyError(f"local mode has no attribute {attribute} of {logical_id}")
        return deployed.attributes[attribute]

    def _name(self, logical_id: str, given: Any) -> str:
        return str(self.resolve(given)) if given else f"{self.result.stack_name}-{logical_id}"

    def _table(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        name = self._name(logical_id, p.get("TableName"))
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        for index in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if index in p:
                request[index] = p[index]
        if "StreamSpecification" in p:
            request["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        if "SSESpecification" in p:
            request["SSESpecification"] = {"Enabled": p["SSESpecification"].get("SSEEnabled", False)}
        dynamodb = self.aws("dynamodb")
        description = dynamodb.create_table(**request)["TableDescription"]
        if "TimeToLiveSpecification" in p:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=p["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in p:
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification=p["PointInTimeRecoverySpecification"]
            )
        attributes = {"Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attributes["StreamArn"] = description["LatestStreamArn"]
        return Deployed(resource["Type"], name, attributes)

    def _queue(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource.get("Properties", {}))
        fifo = bool(p.get("FifoQueue"))
        given = p.pop("QueueName", None)
        name = str(given) if given else f"{self.result.stack_name}-{logical_id}{'.fifo' if fifo else ''}"
        p.pop("Tags", None)
        attributes = {
            k: json.dumps(v) if isinstance(v, dict) else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in p.items()
        }
        sqs = self.aws("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Deployed(resource["Type"], url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _function(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = with_globals(self.template, resource)
        name = self._name(logical_id, p.get("FunctionName"))
        environment = {
            k: str(v) for k, v in self.resolve(p.get("Environment", {}).get("Variables", {})).items()
        }
        module_file, attribute = p["Handler"].rsplit(".", 1)
        package = ".".join(Path(p["CodeUri"]).parts)
        answer = self.aws("lambda").create_function(
            FunctionName=name,
            Runtime=p["Runtime"],
            Role=f"arn:aws:iam::{ACCOUNT_ID}:role/{LOCAL_ROLE}",
            Handler=p["Handler"],
            Code={"ZipFile": _placeholder_zip()},
            Timeout=int(p.get("Timeout", 3)),
            MemorySize=int(p.get("MemorySize", 128)),
            Environment={"Variables": environment},
        )
        spec = FunctionSpec(
            logical_id,
            name,
            answer["FunctionArn"],
            f"{package}.{module_file}",
            attribute,
            environment,
            int(p.get("Timeout", 3)),
        )
        self.result.functions[name] = spec
        for event_name, event in p.get("Events", {}).items():
            self._event(spec, event_name, event)
        return Deployed(resource["Type"], name, {"Arn": answer["FunctionArn"]})

    def _event(self, function: FunctionSpec, event_name: str, event: dict[str, Any]) -> None:
        p = event.get("Properties", {})
        if event["Type"] == "SQS":
            queue_arn = self.resolve(p["Queue"])
            queue = next(d for d in self.result.resources.values() if d.attributes.get("Arn") == queue_arn)
            self.result.event_sources.append(
                SqsEventSource(
                    function=function.name,
                    queue_url=queue.ref,
                    batch_size=int(p.get("BatchSize", 10)),
                    max_concurrency=int(p.get("ScalingConfig", {}).get("MaximumConcurrency", 2)),
                    report_failures="ReportBatchItemFailures" in p.get("FunctionResponseTypes", []),
                )
            )
        elif event["Type"] == "DynamoDB":
            failure = p.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            failure_arn = self.resolve(failure) if failure else None
            self.result.stream_sources.append(
                StreamEventSource(
                    function=function.name,
                    stream_arn=self.resolve(p["Stream"]),
                    starting_position=p.get("StartingPosition", "LATEST"),
                    batch_size=int(p.get("BatchSize", 100)),
                    filters=[
                        json.loads(f["Pattern"]) for f in p.get("FilterCriteria", {}).get("Filters", [])
                    ],
                    max_retries=int(p.get("MaximumRetryAttempts", -1)),
                    report_failures="ReportBatchItemFailures" in p.get("FunctionResponseTypes", []),
                    on_failure_queue_url=next(
                        (
                            d.ref
                            for d in self.result.resources.values()
                            if d.attributes.get("Arn") == failure_arn
                        ),
                        None,
                    ),
                )
            )
        elif event["Type"] == "EventBridgeRule":
            self._rule_patterns.append((function.name, p["Pattern"]))
        elif event["Type"] == "HttpApi":
            api = p.get("ApiId", {}).get("Ref")
            self.deploy(api)
            default = (
                self.template["Resources"][api]["Properties"].get("Auth", {}).get("DefaultAuthorizer", "NONE")
            )
            authorizer = p.get("Auth", {}).get("Authorizer", default)
            self.result.routes.append(
                Route(p.get("Method", "ANY").upper(), p["Path"], function.name, authorizer)
            )
        else:
            raise UnsupportedResource(
                f"local mode cannot run {function.logical_id}'s {event_name} ({event['Type']})"
            )

    def _layer(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        # The layer's code (shared/) is importable in-process already.
        return Deployed(resource["Type"], f"arn:aws:lambda:local:layer:{logical_id}")

    def _state_machine(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = resource["Properties"]
        name = self._name(logical_id, p.get("Name"))
        definition = (self.base / p["DefinitionUri"]).read_text()
        for key, value in self.resolve(p.get("DefinitionSubstitutions", {})).items():
            definition = definition.replace("${" + key + "}", str(value))
        arn = self.aws("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{LOCAL_ROLE}",
            type=p.get("Type", "STANDARD"),
        )["stateMachineArn"]
        return Deployed(resource["Type"], arn, {"Arn": arn, "Name": name})

    def _http_api(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        # Served by tidemark.local.http_api from the routes the functions' events declare, its JWT
        # authorizers checked there as API Gateway checks them.
        auth = resource.get("Properties", {}).get("Auth", {})
        for name, spec in auth.get("Authorizers", {}).items():
            if "JwtConfiguration" not in spec:
                raise UnsupportedResource(f"local mode runs JWT authorizers only, not {logical_id}'s {name}")
            jwt = self.resolve(spec["JwtConfiguration"])
            self.result.authorizers[name] = JwtAuthorizer(
                name, jwt["issuer"], list(jwt["audience"]), spec.get("IdentitySource", "")
            )
        default = auth.get("DefaultAuthorizer", "NONE")
        if default != "NONE" and default not in self.result.authorizers:
            raise UnsupportedResource(f"local mode cannot run {logical_id}'s default authorizer {default}")
        return Deployed(resource["Type"], "local")

    def _user_pool(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        name = p.pop("UserPoolName", None) or f"{self.result.stack_name}-{logical_id}"
        pool = self.aws("cognito-idp").create_user_pool(PoolName=name, **p)["UserPool"]
        provider = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
        attributes = {"Arn": pool["Arn"], "ProviderName": provider, "ProviderURL": f"https://{provider}"}
        return Deployed(resource["Type"], pool["Id"], attributes)

    def _user_pool_client(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        p.setdefault("ClientName", f"{self.result.stack_name}-{logical_id}")
        client = self.aws("cognito-idp").create_user_pool_client(**p)["UserPoolClient"]
        return Deployed(resource["Type"], client["ClientId"])

    def _user_pool_group(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        group = self.aws("cognito-idp").create_group(**p)["Group"]
        return Deployed(resource["Type"], group["GroupName"])

    def _bucket(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource.get("Properties", {}))
        name = p.get("BucketName") or f"{self.result.stack_name}-{logical_id}".lower()
        s3 = self.aws("s3")
        s3.create_bucket(Bucket=name)
        if "PublicAccessBlockConfiguration" in p:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"]
            )
        if "BucketEncryption" in p:
            rules = [  # CloudFormation's name of the rule's default, the API's
                {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "VersioningConfiguration" in p:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=p["VersioningConfiguration"])
        attributes = {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
        }
        return Deployed(resource["Type"], name, attributes)

    def _bucket_policy(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        # moto applies a Deny whatever its condition (it has no aws:SecureTransport to test): a
        # TLS-only statement would refuse every object call, and local mode's calls stay in-process.
        kept = [s for s in p["PolicyDocument"]["Statement"] if "aws:SecureTransport" not in str(s)]
        if kept:
            policy = {**p["PolicyDocument"], "Statement": kept}
            self.aws("s3").put_bucket_policy(Bucket=p["Bucket"], Policy=json.dumps(policy))
        return Deployed(resource["Type"], p["Bucket"])

    def _cloudfront(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        local = f"local-{logical_id}"
        return Deployed(
            resource["Type"],
            local,
            {"Id": local, "DomainName": "localhost", "FunctionARN": local, "Arn": local},
        )

    def _schedule_group(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        name = self._name(logical_id, resource["Properties"].get("Name"))
        arn = self.aws("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
        self.result.schedule_groups.append(name)
        return Deployed(resource["Type"], name, {"Arn": arn})

    def _role(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        name = self._name(logical_id, p.get("RoleName"))
        role = self.aws("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"])
        )
        return Deployed(resource["Type"], name, {"Arn": role["Role"]["Arn"]})

    def _queue_policy(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        for url in p["Queues"]:
            self.aws("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(p["PolicyDocument"])}
            )
        return Deployed(resource["Type"], logical_id)

    # The alarms' topic, their subscription, log groups, alarms and the dashboard exist in moto as in
    # the template (what the console reads of them is there), though nothing local sends to them.
    def _topic(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource.get("Properties", {}))
        arn = self.aws("sns").create_topic(Name=self._name(logical_id, p.get("TopicName")))["TopicArn"]
        return Deployed(resource["Type"], arn, {"TopicArn": arn})

    def _subscription(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        sns = self.aws("sns")
        answer = sns.subscribe(TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"])
        return Deployed(resource["Type"], answer["SubscriptionArn"])

    def _log_group(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource.get("Properties", {}))
        name = self._name(logical_id, p.get("LogGroupName"))
        logs = self.aws("logs")
        # moto's own Lambda makes a function's group when it runs one: a state machine execution of
        # the stack before, in a thread moto gives no way to stop, may have
        # (tests/integration/test_template_is_the_infrastructure.py). The group is taken over.
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in p:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(p["RetentionInDays"]))
        arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}:*"
        return Deployed(resource["Type"], name, {"Arn": arn})

    def _alarm(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        name = self._name(logical_id, p.pop("AlarmName", None))
        self.aws("cloudwatch").put_metric_alarm(AlarmName=name, **p)
        return Deployed(resource["Type"], name)

    def _dashboard(self, logical_id: str, resource: dict[str, Any]) -> Deployed:
        p = self.resolve(resource["Properties"])
        name = self._name(logical_id, p.get("DashboardName"))
        self.aws("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=p["DashboardBody"])
        return Deployed(resource["Type"], name)


def _placeholder_zip() -> bytes:
    """moto wants code; the real code runs in-process (tidemark.local.lambdas)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "runs in-process")
    return buffer.getvalue()


def deploy(template_path: Path, stack_name: str = "tidemark", **parameters: str) -> Deployment:
    """Create every resource of the template in the active moto mock (`parameters` as overrides)."""
    return _Deployer(template_path, stack_name, parameters).run()
