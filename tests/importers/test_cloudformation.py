"""``archgen import cloudformation``: the imported model is pinned by a golden, validates,
runs its starter scenario, and lists every resource it does not model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.cloudformation import import_cloudformation
from archgen.model.load import load_model_text
from tests.golden import assert_golden

DATA = Path(__file__).parent / "data"
FIXTURES = (
    "thumbnails",
    "readings",
    "web-fleet",
    "ledger-sam",
    "events-sam",
    "ledger-api",
    "tiles-fargate",
    "shipments-events",
    "intake-workflow",
    "sessions-cache",
    "report-credentials",
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", FIXTURES)
def test_imported_model_is_the_golden(name: str) -> None:
    imported = import_cloudformation(DATA / f"{name}.yaml")
    assert_golden(DATA / f"{name}.model.yaml", imported.text)


@pytest.mark.parametrize("name", FIXTURES)
def test_imported_model_validates_and_runs_its_starter(name: str, tmp_path: Path) -> None:
    out = tmp_path / "model.yaml"
    code, stdout, _ = invoke("import", "cloudformation", str(DATA / f"{name}.yaml"), "-o", str(out))
    assert (code, stdout) == (0, "")
    assert out.read_text(encoding="utf-8") == (DATA / f"{name}.model.yaml").read_text("utf-8")
    code, stdout, stderr = invoke("run", str(out), "-o", str(tmp_path / "run"))
    assert code == 0, stderr
    assert "violations 0, availability 100.000 %" in stdout
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "starter"


def test_thumbnails_counts_and_report() -> None:
    """24 resources: 13 nodes, 3 groups, 11 inferred edges, 5 listed as not modeled, with
    why."""
    code, stdout, stderr = invoke("import", "cloudformation", str(DATA / "thumbnails.yaml"))
    assert code == 0
    assert stdout == (DATA / "thumbnails.model.yaml").read_text(encoding="utf-8")
    assert stderr == (
        "thumbnails.yaml: 24 resources → 13 nodes, 11 edges, 5 not modeled\n"
        "  not modeled: AWS::EC2::SecurityGroup WorkerSecurityGroup: security groups are not "
        "modeled: the edges say who calls whom\n"
        "  not modeled: AWS::KMS::Alias DataKeyAlias: an alias names a key; the model names "
        "the key itself\n"
        "  not modeled: AWS::Lambda::Permission IngestPermission: a function's resource "
        "policy: the model has the caller's edge\n"
        "  not modeled: AWS::CloudWatch::Alarm WorkerMemoryAlarm: archgen's lambda kind does not "
        "publish memory_utilization\n"
        "  not modeled: AWS::Logs::LogGroup WorkerLogs: log groups are not modeled\n"
    )
    header = stdout.split("archgen: 1", 1)[0]
    assert "#   AWS::Logs::LogGroup WorkerLogs: log groups are not modeled\n" in header


def test_thumbnails_params_and_edges() -> None:
    """What a platform engineer checks first: the values came from the template."""
    model = load_model_text(import_cloudformation(DATA / "thumbnails.yaml").text).model
    nodes = model.nodes_by_id
    queue = nodes["job-queue"].params
    assert (queue.visibility_timeout_s, queue.max_receive_count) == (360, 5)  # type: ignore[attr-defined]
    assert queue.dead_letter_queue == "job-dead-letters"  # type: ignore[attr-defined]
    worker = nodes["worker-function"]
    assert worker.role == "worker-role"
    assert worker.params.reserved_concurrency == 50  # type: ignore[attr-defined]
    assert worker.params.event_source.batch_size == 5  # type: ignore[attr-defined]
    table = nodes["thumbnail-table"].params
    assert (table.billing_mode, table.read_capacity_units) == ("provisioned", 50)  # type: ignore[attr-defined]
    assert {n.id for n in model.nodes if getattr(n.params, "kms_key", None) == "data-key"} == {
        "upload-bucket",
        "job-queue",
        "job-dead-letters",
        "thumbnail-table",
        "done-topic",
        "done-audit",
    }
    assert sorted((e.source, e.target) for e in model.edges) == [
        ("caller", "upload-bucket"),
        ("cloudwatch", "ops-topic"),
        ("done-topic", "done-audit"),
        ("ingest-function", "data-key"),
        ("ingest-function", "job-queue"),
        ("ingest-function", "upload-bucket"),
        ("job-queue", "job-dead-letters"),
        ("upload-bucket", "ingest-function"),
        ("worker-function", "data-key"),
        ("worker-function", "job-queue"),
        ("worker-function", "thumbnail-table"),
        ("worker-function", "upload-bucket"),
    ]


def test_alarms_watch_the_nodes_they_name() -> None:
    """Alarms on a modeled node's metric go into one cloudwatch node, with M of N, the
    threshold and their SNS actions; the shortest alarm period is the metric period."""
    model = load_model_text(import_cloudformation(DATA / "thumbnails.yaml").text).model
    watch = model.nodes_by_id["cloudwatch"].params
    assert watch.period_s == 60  # type: ignore[attr-defined]
    assert [(m.node, m.name, m.statistic) for m in watch.metrics] == [  # type: ignore[attr-defined]
        ("job-queue", "ApproximateNumberOfMessagesVisible", "Maximum"),
        ("worker-function", "Errors", "Sum"),
    ]
    errors = watch.alarms[1]  # type: ignore[attr-defined]
    assert (errors.id, errors.threshold, errors.evaluation_periods) == ("worker-errors-alarm", 5, 3)
    assert (errors.datapoints_to_alarm, errors.comparison) == (2, "GreaterThanOrEqualToThreshold")
    assert [(a.type, a.target) for a in errors.actions] == [("notify", "ops-topic")]


def test_vpcs_and_subnets_are_groups() -> None:
    """A function in one subnet sits in it; one spanning two sits in their VPC."""
    model = load_model_text(import_cloudformation(DATA / "thumbnails.yaml").text).model
    groups = [(g.id, g.kind, g.parent) for g in model.groups]
    assert groups == [
        ("us-east-1", "region", None),
        ("network", "vpc", "us-east-1"),
        ("private-a", "subnet", "network"),
        ("private-b", "subnet", "network"),
    ]
    nodes = model.nodes_by_id
    assert (nodes["ingest-function"].group, nodes["worker-function"].group) == (
        "private-a",
        "network",
    )


def test_every_node_and_edge_says_where_it_came_from() -> None:
    lines = import_cloudformation(DATA / "thumbnails.yaml").text.splitlines()
    nodes = range(lines.index("nodes:"), lines.index("edges:"))
    for i, line in enumerate(lines):
        if i in nodes and line.startswith("  - id: ") and line != "  - id: caller":
            above = [c for c in lines[max(0, i - 2) : i] if c.startswith("  # from ")]
            assert above, f"node without its logical id: {line}"
        if line.startswith("  - {from: "):
            assert lines[i - 1].startswith("  # "), f"edge without its reason: {line}"


def test_a_condition_false_with_the_defaults_leaves_the_resource_out(tmp_path: Path) -> None:
    text = (DATA / "thumbnails.yaml").read_text(encoding="utf-8")
    dev = tmp_path / "thumbnails.yaml"
    dev.write_text(text.replace("Default: prod", "Default: dev"), encoding="utf-8")
    imported = import_cloudformation(dev)
    model = load_model_text(imported.text).model
    assert "done-topic" not in model.nodes_by_id
    assert model.nodes_by_id["job-queue"].params.visibility_timeout_s == 60  # type: ignore[attr-defined]
    assert model.nodes_by_id["worker-function"].params.reserved_concurrency is None  # type: ignore[attr-defined]
    skipped = [(u.type, u.logical_id, u.why) for u in imported.unmodeled if "condition" in u.why]
    assert skipped == [
        ("AWS::SNS::Topic", "DoneTopic", "condition IsProd is false with the parameters' defaults"),
        (
            "AWS::SNS::Subscription",
            "DoneAuditSubscription",
            "condition IsProd is false with the parameters' defaults",
        ),
    ]


def test_json_template_imports_like_yaml(tmp_path: Path) -> None:
    """The same template in CloudFormation's JSON form gives the same model."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Timeout": {"Type": "Number", "Default": 20}},
        "Resources": {
            "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
            "Worker": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Timeout": {"Ref": "Timeout"}},
            },
            "WorkerJobs": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Worker"},
                    "EventSourceArn": {"Fn::GetAtt": ["Jobs", "Arn"]},
                },
            },
        },
    }
    as_json = tmp_path / "jobs.json"
    as_json.write_text(json.dumps(template, indent=2), encoding="utf-8")
    as_yaml = tmp_path / "jobs.yaml"
    as_yaml.write_text(
        "Parameters: {Timeout: {Type: Number, Default: 20}}\n"
        "Resources:\n"
        "  Jobs: {Type: AWS::SQS::Queue, Properties: {FifoQueue: true}}\n"
        "  Worker: {Type: AWS::Lambda::Function, Properties: {Timeout: !Ref Timeout}}\n"
        "  WorkerJobs:\n"
        "    Type: AWS::Lambda::EventSourceMapping\n"
        "    Properties: {FunctionName: !Ref Worker, EventSourceArn: !GetAtt Jobs.Arn}\n",
        encoding="utf-8",
    )
    from_json = import_cloudformation(as_json).text
    assert from_json.replace("jobs.json", "jobs.yaml") == import_cloudformation(as_yaml).text
    model = load_model_text(from_json).model
    assert model.nodes_by_id["jobs"].params.fifo is True  # type: ignore[attr-defined]
    assert model.nodes_by_id["worker"].params.event_source.queue == "jobs"  # type: ignore[attr-defined]


def test_round_trip_renders_and_checks(tmp_path: Path) -> None:
    """import → render → check: the lint judges the infrastructure as the template has it
    (the findings are the template's gaps, not the importer's)."""
    model = tmp_path / "model.yaml"
    assert (
        invoke("import", "cloudformation", str(DATA / "thumbnails.yaml"), "-o", str(model))[0] == 0
    )
    code, _, stderr = invoke(
        "render", str(model), "--format", "mermaid", "-o", str(tmp_path / "render")
    )
    assert code == 0, stderr
    assert len(list((tmp_path / "render").glob("*.mmd"))) >= 3
    code, stdout, _ = invoke("check", str(model), "--lint-only", "--format", "json")
    assert code == 1
    findings = [f for scope in json.loads(stdout)["scopes"] for f in scope["findings"]]
    errors = sorted({(f["rule"], f["path"]) for f in findings if f["severity"] == "error"})
    assert errors == [
        ("dlq", "edges[1]"),  # S3 invokes ingest-function asynchronously, no on-failure
        ("dlq", "nodes[10].params.subscriptions[0]"),  # done-topic's subscription, no DLQ
        # done-topic delivers to the encrypted done-audit queue as sns.amazonaws.com,
        # which the template's key policy (the account root only) does not allow.
        ("kms-key-access", "edges[5].operations[0]"),
        ("monitored", "nodes[11]"),
        ("monitored", "nodes[2]"),
        ("monitored", "nodes[3]"),
        ("monitored", "nodes[6]"),
        ("monitored", "nodes[9]"),
        # Both functions run in the VPC's private subnets, which have no NAT gateway and
        # no VPC endpoint: their calls to S3, SQS, DynamoDB and KMS cannot leave the VPC
        # (the worker's polling is Lambda's, from outside the VPC).
        ("no-egress", "edges[10]"),
        ("no-egress", "edges[11]"),
        ("no-egress", "edges[6]"),
        ("no-egress", "edges[7]"),
        ("no-egress", "edges[8]"),
        ("no-egress", "edges[9]"),
    ]


def test_a_wildcard_grant_infers_no_edges(tmp_path: Path) -> None:
    """A role allowed on ``…:jobs-*`` may call every such queue; it says nothing of which it
    does call: no edges, a note on the node instead. An exact ARN infers its edge."""
    template = tmp_path / "grants.yaml"
    template.write_text(
        "Resources:\n"
        "  JobsA: {Type: AWS::SQS::Queue}\n"
        "  JobsB: {Type: AWS::SQS::Queue}\n"
        "  Results: {Type: AWS::SQS::Queue}\n"
        "  Fn: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt Role.Arn}}\n"
        "  Role:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      Policies:\n"
        "        - PolicyDocument:\n"
        "            Statement:\n"
        "              - Effect: Allow\n"
        "                Action: sqs:SendMessage\n"
        "                Resource: !Sub 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:jobs-*'\n"
        "              - {Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Results.Arn}\n",
        encoding="utf-8",
    )
    text = import_cloudformation(template).text
    model = load_model_text(text).model
    assert [(e.source, e.target) for e in model.edges if e.source == "fn"] == [("fn", "results")]
    assert (
        "  # role Role allows sqs:SendMessage on arn:aws:sqs:us-east-1:123456789012:jobs-* "
        "(2 nodes): no edges inferred from a wildcard grant\n  - id: fn\n"
    ) in text


def test_an_auto_scaling_group_is_a_fleet() -> None:
    """Bounds from a mapping, the launch template's instance type, CPU target tracking; a
    step policy the fleet cannot follow is reported; the fleet spans two subnets."""
    imported = import_cloudformation(DATA / "web-fleet.yaml")
    fleet = load_model_text(imported.text).model.nodes_by_id["web-fleet"]
    assert fleet.group == "vpc"
    params = fleet.params
    assert params.instance_type == "m6i.large"  # type: ignore[attr-defined]
    scaling = params.autoscaling  # type: ignore[attr-defined]
    assert (scaling.min_instances, scaling.desired_instances, scaling.max_instances) == (2, 3, 12)
    assert (scaling.target_cpu_percent, scaling.warmup_s) == (60, 180)
    assert [(u.logical_id, u.why) for u in imported.unmodeled] == [
        ("WebTargets", "read into the load balancer forwarding to it"),
        ("WebTemplate", "read into the Auto Scaling groups launched from it"),
        (
            "RequestStep",
            "only target tracking on ASGAverageCPUUtilization of a modeled group is modeled",
        ),
    ]


def test_a_load_balancer_reads_its_listener_and_target_group() -> None:
    """The target group's health checks, draining and algorithm are the balancer's; the
    fleet registered in it gets the edge (HTTP, as the group says); outside traffic enters
    at the balancer."""
    model = load_model_text(import_cloudformation(DATA / "web-fleet.yaml").text).model
    balancer = model.nodes_by_id["web-balancer"].params
    assert balancer.model_dump(
        include={  # type: ignore[attr-defined]
            "idle_timeout_s",
            "health_check_interval_s",
            "health_check_timeout_s",
            "healthy_threshold",
            "unhealthy_threshold",
            "deregistration_delay_s",
            "algorithm",
        }
    ) == {
        "idle_timeout_s": 120,
        "health_check_interval_s": 10,
        "health_check_timeout_s": 4,
        "healthy_threshold": 3,
        "unhealthy_threshold": 2,
        "deregistration_delay_s": 30,
        "algorithm": "least_outstanding_requests",
    }
    edges = [(e.source, e.target, e.operations, e.protocol) for e in model.edges]
    assert ("web-balancer", "web-fleet", ("*",), "http") in edges
    assert model.flows[0].steps[0].target == "web-balancer"


def test_an_instance_type_without_a_vcpu_count_is_noted_not_imported(tmp_path: Path) -> None:
    """The fleet's vCPUs drive its CPUUtilization: a type archgen cannot size is left at the
    default and said on the node, so the imported model still loads."""
    template = tmp_path / "odd.yaml"
    template.write_text(
        (DATA / "web-fleet.yaml")
        .read_text(encoding="utf-8")
        .replace("Default: m6i.large", "Default: x9.weird")
        .replace("m6i.large: {", "x9.weird: {"),
        encoding="utf-8",
    )
    text = import_cloudformation(template).text
    fleet = load_model_text(text).model.nodes_by_id["web-fleet"]
    assert fleet.params.instance_type == "c5.xlarge"  # type: ignore[attr-defined]
    assert "  # instance type x9.weird has no vCPU count in archgen\n" in text


def test_tiles_fargate_service_task_size_scaling_and_balancer_edge() -> None:
    """The ECS service takes its desired count and grace period, its task definition's
    0.5 vCPU / 1 GB and task role, the scalable target's 2..8 and the CPU policy's target
    and cooldowns; the listener rule's target group, where the service registers, is the
    balancer's edge, the task role's grant the bucket's; the cluster and the step-scaling
    policy are reported with why."""
    imported = import_cloudformation(DATA / "tiles-fargate.yaml")
    model = load_model_text(imported.text).model
    params = model.nodes_by_id["tile-service"].params
    assert (params.desired_count, params.health_check_grace_period_s) == (3, 60)  # type: ignore[attr-defined]
    assert (params.cpu, params.memory_mib) == (512, 1024)  # type: ignore[attr-defined]
    assert params.assign_public_ip is False  # type: ignore[attr-defined]  # DISABLED
    scaling = params.autoscaling  # type: ignore[attr-defined]
    assert (scaling.min_tasks, scaling.max_tasks, scaling.metric) == (2, 8, "cpu")
    assert (scaling.target_value, scaling.scale_out_cooldown_s) == (60, 120)
    assert scaling.scale_in_cooldown_s == 600
    assert model.nodes_by_id["tile-service"].role == "task-role"
    assert [(e.source, e.target) for e in model.edges][1:] == [
        ("tile-balancer", "tile-service"),  # through the listener rule's target group
        ("tile-service", "tile-bucket"),  # the task role's s3:GetObject
    ]
    assert [(u.type, u.logical_id) for u in imported.unmodeled] == [
        ("AWS::ElasticLoadBalancingV2::TargetGroup", "TileTargets"),
        ("AWS::ECS::Cluster", "TileCluster"),
        ("AWS::Logs::LogGroup", "TileLogs"),
        ("AWS::ApplicationAutoScaling::ScalingPolicy", "TileRequestStep"),
    ]


def test_tiles_fargate_drift_names_the_task_size_and_bounds_that_differ(tmp_path: Path) -> None:
    """A model that assumes 1 vCPU / 2 GB tasks and at most 10 of them, against the
    template's 0.5 vCPU / 1 GB and 8: three drift findings, exit 1."""
    model = tmp_path / "tiles.yaml"
    text = (DATA / "tiles-fargate.model.yaml").read_text(encoding="utf-8")
    for before, after in (
        ("cpu: 512", "cpu: 1024"),
        ("memory_mib: 1024", "memory_mib: 2048"),
        ("max_tasks: 8", "max_tasks: 10"),
    ):
        assert text.count(before) == 1
        text = text.replace(before, after)
    model.write_text(text, encoding="utf-8")
    code, stdout, _ = invoke(
        "check", str(model), "--against", str(DATA / "tiles-fargate.yaml"), "--lint-only"
    )
    assert code == 1
    drift = [line for line in stdout.splitlines() if "[drift]" in line]
    assert [line.split("[drift] ", 1)[1] for line in drift] == [
        "node 'tile-service' params.cpu: the model says 1024, the template says 512",
        "node 'tile-service' params.memory_mib: the model says 2048, the template says 1024",
        "node 'tile-service' params.autoscaling.max_tasks: the model says 10, the template says 8",
    ]


def test_a_service_that_assigns_public_ips_reaches_out_from_its_public_subnet(
    tmp_path: Path,
) -> None:
    """AssignPublicIp ENABLED gives the tasks a public address: in a public subnet they
    need no NAT gateway (the template declares none, and lint finds no missing egress)."""
    template = tmp_path / "web.yaml"
    template.write_text(
        "Resources:\n"
        "  Net: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}\n"
        "  Door: {Type: AWS::EC2::InternetGateway}\n"
        "  Attach:\n"
        "    Type: AWS::EC2::VPCGatewayAttachment\n"
        "    Properties: {VpcId: !Ref Net, InternetGatewayId: !Ref Door}\n"
        "  Front:\n"
        "    Type: AWS::EC2::Subnet\n"
        "    Properties: {VpcId: !Ref Net, CidrBlock: 10.0.1.0/24, MapPublicIpOnLaunch: true}\n"
        "  Task:\n"
        "    Type: AWS::ECS::TaskDefinition\n"
        "    Properties: {Cpu: '256', Memory: '512', RequiresCompatibilities: [FARGATE]}\n"
        "  Web:\n"
        "    Type: AWS::ECS::Service\n"
        "    Properties:\n"
        "      LaunchType: FARGATE\n"
        "      TaskDefinition: !Ref Task\n"
        "      NetworkConfiguration:\n"
        "        AwsvpcConfiguration: {AssignPublicIp: ENABLED, Subnets: [!Ref Front]}\n",
        encoding="utf-8",
    )
    model = load_model_text(import_cloudformation(template).text).model
    web = model.nodes_by_id["web"]
    assert web.params.assign_public_ip is True  # type: ignore[attr-defined]
    assert web.group == "front"
    assert [g.public for g in model.groups if g.id == "front"] == [True]


def test_a_scalable_target_of_another_service_is_reported_with_its_dimension(
    tmp_path: Path,
) -> None:
    """Application Auto Scaling also scales DynamoDB tables (and more): archgen reads it for
    ECS services only, and the report names the dimension it left out."""
    template = tmp_path / "table.yaml"
    template.write_text(
        "Resources:\n"
        "  Readings:\n"
        "    Type: AWS::DynamoDB::Table\n"
        "    Properties:\n"
        "      BillingMode: PROVISIONED\n"
        "      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}\n"
        "  WriteTarget:\n"
        "    Type: AWS::ApplicationAutoScaling::ScalableTarget\n"
        "    Properties:\n"
        "      ServiceNamespace: dynamodb\n"
        "      ScalableDimension: dynamodb:table:WriteCapacityUnits\n"
        "      ResourceId: !Sub table/${Readings}\n"
        "      MinCapacity: 5\n"
        "      MaxCapacity: 50\n",
        encoding="utf-8",
    )
    (skipped,) = import_cloudformation(template).unmodeled
    assert (skipped.type, skipped.logical_id, skipped.why) == (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "WriteTarget",
        "scalable dimension dynamodb:table:WriteCapacityUnits: archgen reads Application Auto "
        "Scaling for the desired count of a modeled ECS service only",
    )


def test_a_replication_group_its_subnets_and_the_function_that_names_its_endpoint() -> None:
    """NumCacheClusters 3 is a primary and 2 replicas; AutomaticFailoverEnabled with
    MultiAZEnabled is Multi-AZ; the customer managed key; the subnet group places the
    cache in the VPC and is reported as read; the function whose environment names the
    primary endpoint gets a GET/SET edge over TCP. A single-node CacheCluster has no
    replica and no failover."""
    imported = import_cloudformation(DATA / "sessions-cache.yaml")
    assert (imported.resources, imported.nodes, imported.edges) == (10, 6, 2)
    assert [(u.type, u.logical_id, u.why) for u in imported.unmodeled] == [
        (
            "AWS::ElastiCache::SubnetGroup",
            "CacheSubnets",
            "read into the caches placed in its subnets",
        )
    ]
    model = load_model_text(imported.text, "sessions-cache.model.yaml").model
    cache = model.nodes_by_id["session-cache"]
    assert (cache.group, cache.params.model_dump(exclude_defaults=True)) == (
        "vpc",
        {"replicas": 2, "kms_key": "cache-key"},  # cache.r7g.large, Valkey: the defaults
    )
    reports = model.nodes_by_id["reports-cache"].params
    assert (reports.engine.value, reports.replicas, reports.multi_az) == ("redis", 0, False)
    edge = model.edge("get-session", "session-cache")
    assert edge is not None
    assert (edge.operations, edge.protocol.value) == (("GET", "SET"), "tcp")
    assert (
        "  # the environment of GetSession names SessionCache's endpoint\n"
        "  - {from: get-session, to: session-cache, operations: [GET, SET], protocol: tcp}\n"
    ) in imported.text


def test_a_secret_its_key_and_its_rotation_schedule() -> None:
    """The secret's KmsKeyId becomes its key with the edge it decrypts through; the
    rotation schedule its function (an asynchronous edge: the function's grants call the
    secret back) and its 30 days; Ref of the secret is its ARN, so the roles' grants on it
    are the functions' edges; the resource policy and the Lambda permission are reported."""
    imported = import_cloudformation(DATA / "report-credentials.yaml")
    assert (imported.resources, imported.nodes, imported.edges) == (9, 6, 6)
    assert [(u.type, u.logical_id) for u in imported.unmodeled] == [
        ("AWS::SecretsManager::ResourcePolicy", "CredentialsPolicy"),
        ("AWS::Lambda::Permission", "RotatePermission"),
    ]
    model = load_model_text(imported.text, "report-credentials.model.yaml").model
    secret = model.nodes_by_id["report-credentials"].params
    assert secret.model_dump(exclude_defaults=True) == {
        "kms_key": "credentials-key",
        "rotation_lambda": "rotate-credentials",
        "rotation_days": 30,
    }
    rotation = model.edge("report-credentials", "rotate-credentials")
    assert rotation is not None
    assert (rotation.operations, rotation.mode.value) == (("Invoke",), "async")
    reads = model.edge("build-report", "report-credentials")
    assert reads is not None
    assert reads.operations == ("GetSecretValue",)


ALERTS = """\
Resources:
  Readings:
    Type: AWS::SQS::Queue
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - {Protocol: email, Endpoint: ops@example.net}
        - {Protocol: sms, Endpoint: "+15550100"}
        - {Protocol: https, Endpoint: "https://hooks.example.net/alerts"}
        - {Protocol: firehose, Endpoint: "arn:aws:firehose:eu-west-1:123456789012:deliverystream/x"}
        - {Protocol: sqs, Endpoint: !GetAtt Readings.Arn}
  OpsDigest:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Alerts, Protocol: email-json, Endpoint: ops@example.net}
  Elsewhere:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Alerts
      Protocol: lambda
      Endpoint: "arn:aws:lambda:eu-west-1:123456789012:function:other"
"""


def test_a_topic_s_email_sms_and_https_subscriptions_are_external_nodes(tmp_path: Path) -> None:
    """Inline and separate subscriptions to addresses outside AWS become ``external`` nodes
    (one per address) with the subscription and its delivery edge; a protocol archgen does
    not model and an endpoint outside the template are reported, never dropped (the trial
    imported an inline email subscription as nothing, reporting 0 not modeled)."""
    path = tmp_path / "alerts.yaml"
    path.write_text(ALERTS, encoding="utf-8")
    imported = import_cloudformation(path)
    assert [(u.logical_id, u.why) for u in imported.unmodeled] == [
        (
            "Alerts",
            "Subscription[3]: the firehose subscription is not modeled (sqs, lambda, email, "
            "email-json, sms and https are)",
        ),
        (
            "Elsewhere",
            "its lambda endpoint arn:aws:lambda:eu-west-1:123456789012:function:other is not "
            "in the template",
        ),
    ]
    model = load_model_text(imported.text, "alerts.model.yaml").model
    topic = model.nodes_by_id["alerts"].params
    assert [
        s.model_dump(include={"endpoint", "protocol"}, mode="json") for s in topic.subscriptions
    ] == [
        {"endpoint": "ops-example-net", "protocol": "email"},
        {"endpoint": "sms-15550100", "protocol": "sms"},
        {"endpoint": "hooks-example-net-alerts", "protocol": "https"},
        {"endpoint": "readings", "protocol": "sqs"},
        {"endpoint": "ops-example-net", "protocol": "email"},
    ]
    outside = {
        n.id: n.params.model_dump(include={"role", "appearance"})
        for n in model.nodes
        if n.kind == "external"
    }
    assert outside == {
        "ops-example-net": {"role": "email", "appearance": "email"},
        "sms-15550100": {"role": "sms", "appearance": "phone"},
        "hooks-example-net-alerts": {"role": "https endpoint", "appearance": "service"},
    }
    edges = {
        (e.target, e.operations, e.protocol.value, e.mode.value)
        for e in model.edges
        if e.source == "alerts"
    }
    assert edges == {
        ("ops-example-net", ("Deliver",), "smtp", "async"),
        ("sms-15550100", ("Deliver",), "sms", "async"),
        ("hooks-example-net-alerts", ("Deliver",), "https", "async"),
        ("readings", ("SendMessage",), "aws-api", "async"),
    }
    assert (
        "  # the email endpoint ops@example.net of alerts\n  - id: ops-example-net\n"
        in imported.text
    )


def test_a_high_throughput_fifo_queue_keeps_its_attributes(tmp_path: Path) -> None:
    """``DeduplicationScope`` and ``FifoThroughputLimit`` become the queue's params, so its
    run has the Region's quota instead of 300 calls a second per action."""
    template = tmp_path / "readings.yaml"
    template.write_text(
        "Resources:\n"
        "  Readings:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties: {QueueName: readings.fifo, FifoQueue: true,\n"
        "                 DeduplicationScope: messageGroup,\n"
        "                 FifoThroughputLimit: perMessageGroupId}\n"
        "  Audit:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties: {QueueName: audit.fifo, FifoQueue: true}\n",
        encoding="utf-8",
    )
    model = load_model_text(import_cloudformation(template).text).model
    readings = model.nodes_by_id["readings"].params
    audit = model.nodes_by_id["audit"].params
    assert (readings.deduplication_scope, readings.fifo_throughput_limit) == (  # type: ignore[attr-defined]
        "messageGroup",
        "perMessageGroupId",
    )
    assert readings.high_throughput  # type: ignore[attr-defined]
    assert (audit.deduplication_scope, audit.fifo_throughput_limit) == (None, None)  # type: ignore[attr-defined]


def test_a_resource_s_name_in_aws_is_its_node_s_arn_and_its_policies_name_it(
    tmp_path: Path,
) -> None:
    """A queue named ``postings.fifo`` by its ``QueueName`` keeps the node id its logical
    id gives, but its ARN (written on the node) ends in its real name, and the role's
    ``!GetAtt PostingsQueue.Arn`` becomes that ARN, which the node answers to: before, both
    said ``…:postings-queue``, an ARN the stack never had."""
    template = tmp_path / "postings.yaml"
    template.write_text(
        "Resources:\n"
        "  PostingsQueue:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties: {QueueName: postings.fifo, FifoQueue: true}\n"
        "  PosterRole:\n"
        "    Type: AWS::IAM::Role\n"
        "    Properties:\n"
        "      AssumeRolePolicyDocument: {}\n"
        "      Policies:\n"
        "        - PolicyName: send\n"
        "          PolicyDocument:\n"
        "            Statement:\n"
        "              - {Effect: Allow, Action: sqs:SendMessage,\n"
        "                 Resource: !GetAtt PostingsQueue.Arn}\n"
        "  Poster:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties: {Role: !GetAtt PosterRole.Arn, Runtime: python3.12}\n",
        encoding="utf-8",
    )
    text = import_cloudformation(template).text
    arn = "arn:aws:sqs:us-east-1:123456789012:postings.fifo"
    assert f"    arn: {arn}  # its name in AWS: postings.fifo\n" in text
    assert f"Resource: {arn}\n" in text
    model = load_model_text(text).model
    assert model.nodes_by_id["postings-queue"].arn == arn
    assert ("poster", "postings-queue") in {(e.source, e.target) for e in model.edges}
