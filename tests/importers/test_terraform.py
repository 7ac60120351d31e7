"""``archgen import terraform``: a fresh plan (ARNs known only after apply) and a state
(every ARN known) import to pinned models that validate, render, run and check; references
come from known values or from the configuration's expressions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.terraform import import_terraform
from archgen.model.load import load_model_text
from tests.golden import assert_golden

DATA = Path(__file__).parent / "data"
FIXTURES = (
    "ledger-plan",
    "thumbnails-state",
    "web-plan",
    "tiles-plan",
    "sessions-state",
    "credentials-state",
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", FIXTURES)
def test_imported_model_is_the_golden(name: str) -> None:
    assert_golden(DATA / f"{name}.model.yaml", import_terraform(DATA / f"{name}.json").text)


@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_validates_renders_runs(name: str, tmp_path: Path) -> None:
    out = tmp_path / "model.yaml"
    code, stdout, _ = invoke("import", "terraform", str(DATA / f"{name}.json"), "-o", str(out))
    assert (code, stdout) == (0, "")
    assert out.read_text(encoding="utf-8") == (DATA / f"{name}.model.yaml").read_text("utf-8")
    code, stdout, stderr = invoke("validate", str(out))
    assert code == 0, stderr
    code, _, stderr = invoke("render", str(out), "--format", "mermaid", "-o", str(tmp_path / "r"))
    assert code == 0, stderr
    assert len(list((tmp_path / "r").glob("*.mmd"))) >= 3
    code, stdout, stderr = invoke("run", str(out), "-o", str(tmp_path / "run"))
    assert code == 0, stderr
    assert "violations 0, availability 100.000 %" in stdout
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "starter"


def lint_errors(tmp_path: Path, name: str) -> list[tuple[str, str]]:
    model = tmp_path / "model.yaml"
    assert invoke("import", "terraform", str(DATA / f"{name}.json"), "-o", str(model))[0] == 0
    code, stdout, _ = invoke("check", str(model), "--lint-only", "--format", "json")
    assert code == 1
    findings = [f for scope in json.loads(stdout)["scopes"] for f in scope["findings"]]
    return sorted({(f["rule"], f["path"]) for f in findings if f["severity"] == "error"})


def test_check_judges_the_fresh_plan(tmp_path: Path) -> None:
    """What a fresh plan cannot say shows up as findings: the worker's policy is known only
    after apply, so its polling edge is not allowed; the queue's redrive likewise."""
    assert lint_errors(tmp_path, "ledger-plan") == [
        ("dlq", "nodes[9].params"),  # ledger-sqs: its redrive policy is unknown
        ("iam-edge-allowed", "edges[3].operations[0]"),  # worker-lambda → ledger-sqs
        ("iam-edge-allowed", "edges[3].operations[1]"),
        # The same unknown policy: AWS would refuse the SQS event source mapping.
        ("iam-required-calls", "nodes[7].params.event_source.queue"),
        ("monitored", "nodes[10]"),
        ("monitored", "nodes[1]"),
        ("monitored", "nodes[3]"),
        ("monitored", "nodes[7]"),
    ]


def test_check_judges_the_state(tmp_path: Path) -> None:
    """With the state's policies every inferred edge is allowed (the model keeps the
    state's account, so the key policy's root principal matches); but that key policy
    names no service principal, so S3's notification to the encrypted topic and SNS's
    delivery to the encrypted queue would be refused (kms-key-access)."""
    assert lint_errors(tmp_path, "thumbnails-state") == [
        ("dlq", "nodes[9].params.subscriptions[0]"),
        ("iam-least-privilege", "nodes[3].params.policies[0].Statement[3].Resource[1]"),
        ("kms-key-access", "edges[2].operations[0]"),  # uploads -> uploads-sns, as S3
        ("kms-key-access", "edges[5].operations[0]"),  # uploads-sns -> jobs, as SNS
        ("monitored", "nodes[10]"),
        ("monitored", "nodes[11]"),
        ("monitored", "nodes[2]"),
        ("monitored", "nodes[6]"),
        ("monitored", "nodes[7]"),
    ]


def test_fresh_plan_counts_and_report() -> None:
    code, _, stderr = invoke("import", "terraform", str(DATA / "ledger-plan.json"))
    assert code == 0
    assert stderr == (
        "ledger-plan.json: 20 resources → 10 nodes, 3 edges, 4 not modeled\n"
        "  not modeled: aws_api_gateway_method.post_ledger: its integration is read from the "
        "aws_api_gateway_integration\n"
        "  not modeled: aws_cloudwatch_log_group.worker: log groups are not modeled\n"
        "  not modeled: data.aws_iam_policy_document.assume_api: a data source reads what "
        "exists: its values are read where they are used\n"
        "  not modeled: data.aws_iam_policy_document.assume_lambda: a data source reads what "
        "exists: its values are read where they are used\n"
    )


def test_state_counts_and_report() -> None:
    code, _, stderr = invoke("import", "terraform", str(DATA / "thumbnails-state.json"))
    assert code == 0
    assert stderr == (
        "thumbnails-state.json: 23 resources → 11 nodes, 10 edges, 4 not modeled\n"
        "  not modeled: data.aws_caller_identity.current: a data source reads what exists: its "
        "values are read where they are used\n"
        "  not modeled: aws_kms_alias.data: an alias names a key; the model names the key "
        "itself\n"
        "  not modeled: aws_sns_topic_policy.uploads: a topic's resource policy is not modeled "
        "(identity policies are)\n"
        "  not modeled: random_id.suffix: a resource of the random provider: archgen imports "
        "AWS resources only\n"
    )


def test_unknown_values_take_the_configurations_references() -> None:
    """In a fresh plan every ARN is unknown: the role, the event source, the table's key and
    the alarm's topic come from the expressions' references; a module output is followed
    to the resource inside the module."""
    text = import_terraform(DATA / "ledger-plan.json").text
    model = load_model_text(text).model
    nodes = model.nodes_by_id
    worker = nodes["worker-lambda"]
    assert worker.role == "worker"
    assert worker.params.event_source.queue == "ledger-sqs"  # type: ignore[attr-defined]
    assert nodes["ledger-dynamodb"].params.kms_key == "data"  # type: ignore[attr-defined]
    # The API (first of the resources named ledger) and its SQS integration.
    assert nodes["ledger"].kind == "apigateway"
    assert ("ledger", "ledger-sqs") in [(e.source, e.target) for e in model.edges]
    alarm = nodes["cloudwatch"].params.alarms[0]  # type: ignore[attr-defined]
    assert (alarm.id, alarm.actions[0].target) == ("queue-age", "alerts")
    assert (
        "  # aws_sqs_queue.ledger: redrive_policy is known only after apply (it references "
        "module.dead_letters.aws_sqs_queue.this): not read\n"
    ) in text
    assert "  # from module.dead_letters.aws_sqs_queue.this (AWS::SQS::Queue)\n" in text
    assert model.groups[0].id == "eu-west-1"  # the aws provider's region


def test_known_values_become_references() -> None:
    """In a state, ARNs, names and URLs of other resources are references: in the JSON
    policies (written with the model's ARNs), the redrive policy, the subscription, the
    bucket's merged encryption and notification; a name two resources share goes to the
    one of the type the attribute names (the alarm's FunctionName)."""
    text = import_terraform(DATA / "thumbnails-state.json").text
    model = load_model_text(text).model
    nodes = model.nodes_by_id
    jobs = nodes["jobs"].params
    assert (jobs.dead_letter_queue, jobs.max_receive_count) == ("dead-letters-this", 5)  # type: ignore[attr-defined]
    uploads = nodes["uploads"].params
    assert (uploads.encryption, uploads.kms_key) == ("sse-kms", "data")  # type: ignore[attr-defined]
    metric = nodes["cloudwatch"].params.metrics[0]  # type: ignore[attr-defined]
    assert (metric.node, metric.name) == ("resize-lambda", "Errors")
    edges = {(e.source, e.target): list(e.operations) for e in model.edges}
    assert edges[("resize-lambda", "images")] == ["PutItem", "UpdateItem"]
    assert edges[("resize-lambda", "alerts")] == ["Publish"]  # the attached customer policy
    assert edges[("uploads", "uploads-sns")] == ["Publish"]
    assert edges[("uploads-sns", "jobs")] == ["SendMessage"]
    assert "  - arn:aws:dynamodb:us-west-2:111122223333:table/thumbnails-images/index/*\n" in text
    assert (
        "  # from aws_s3_bucket.uploads, aws_s3_bucket_notification.uploads, "
        "aws_s3_bucket_server_side_encryption_configuration.uploads (AWS::S3::Bucket)\n"
    ) in text


def plan_of(tmp_path: Path, resources: list[dict[str, object]], **extra: object) -> Path:
    body = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        **extra,
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(body, indent=1), encoding="utf-8")
    return path


def resource(type_: str, name: str, address: str = "", **values: object) -> dict[str, object]:
    return {
        "address": address or f"{type_}.{name}",
        "mode": "managed",
        "type": type_,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "values": {"name": name, **values},
    }


def test_names_collide_and_instances_are_named(tmp_path: Path) -> None:
    """A queue and a table both named ``ledger``: the second takes its kind; ``count`` and
    ``for_each`` instances take their key; a planned deletion is reported."""
    resources = [
        resource("aws_dynamodb_table", "ledger"),
        resource("aws_sqs_queue", "ledger"),
        {**resource("aws_sqs_queue", "shard", "aws_sqs_queue.shard[0]"), "index": 0},
        {**resource("aws_sqs_queue", "region", 'aws_sqs_queue.region["eu"]'), "index": "eu"},
    ]
    deleted = {
        "address": "aws_sqs_queue.old",
        "mode": "managed",
        "type": "aws_sqs_queue",
        "name": "old",
        "change": {"actions": ["delete"], "before": {}, "after": None},
    }
    imported = import_terraform(plan_of(tmp_path, resources, resource_changes=[deleted]))
    ids = [n.id for n in load_model_text(imported.text).model.nodes]
    assert ids == ["caller", "ledger", "ledger-sqs", "shard-0", "region-eu"]
    assert [(u.what, u.why) for u in imported.unmodeled] == [
        ("aws_sqs_queue.old", "planned for deletion")
    ]
    assert imported.resources == 5


def test_a_variable_of_a_module_is_followed(tmp_path: Path) -> None:
    """An unknown value inside a module that comes from ``var.x`` takes the references the
    module call gives ``x``."""
    lambda_ = resource("aws_lambda_function", "this", "module.app.aws_lambda_function.this")
    role = resource("aws_iam_role", "app")
    changes = [
        {"address": lambda_["address"], "change": {"after_unknown": {"role": True}}},
        {"address": "aws_iam_role.app", "change": {"after_unknown": {"arn": True}}},
    ]
    configuration = {
        "root_module": {
            "resources": [{"address": "aws_iam_role.app", "mode": "managed", "expressions": {}}],
            "module_calls": {
                "app": {
                    "expressions": {
                        "role_arn": {"references": ["aws_iam_role.app.arn", "aws_iam_role.app"]}
                    },
                    "module": {
                        "resources": [
                            {
                                "address": "aws_lambda_function.this",
                                "mode": "managed",
                                "expressions": {"role": {"references": ["var.role_arn"]}},
                            }
                        ]
                    },
                }
            },
        }
    }
    path = plan_of(
        tmp_path,
        [role],
        resource_changes=changes,
        configuration=configuration,
    )
    body = json.loads(path.read_text(encoding="utf-8"))
    body["planned_values"]["root_module"]["child_modules"] = [
        {"address": "module.app", "resources": [lambda_]}
    ]
    path.write_text(json.dumps(body), encoding="utf-8")
    model = load_model_text(import_terraform(path).text).model
    assert model.nodes_by_id["app-this"].role == "app"


def test_web_plan_groups_fleet_and_balancer(tmp_path: Path) -> None:
    """A fresh plan of a fleet behind an ALB: subnets (listed before their VPC) are groups
    of it; the fleet reads its launch template, target-tracking policy and subnets, the
    balancer its target group through its listener; the alarm's dimensions, unknown,
    name the balancer through the configuration; a step policy is reported."""
    code, _, stderr = invoke("import", "terraform", str(DATA / "web-plan.json"))
    assert code == 0
    assert stderr == (
        "web-plan.json: 15 resources → 3 nodes, 1 edge, 5 not modeled\n"
        "  not modeled: aws_autoscaling_policy.step_out: only target tracking on "
        "ASGAverageCPUUtilization of a modeled group is modeled\n"
        "  not modeled: aws_launch_template.web: read into the Auto Scaling groups launched "
        "from it\n"
        "  not modeled: aws_lb_target_group.web: read into the load balancer forwarding to it\n"
        "  not modeled: aws_security_group.web: security groups are not modeled: the edges say "
        "who calls whom\n"
        "  not modeled: data.aws_ami.al2023: a data source reads what exists: its values are "
        "read where they are used\n"
    )
    model = load_model_text(import_terraform(DATA / "web-plan.json").text).model
    assert [(g.id, g.parent) for g in model.groups] == [
        ("us-east-2", None),
        ("main", "us-east-2"),
        ("private-a", "main"),
        ("private-b", "main"),
        ("public-a", "main"),
        ("public-b", "main"),
    ]
    fleet = model.nodes_by_id["web"]
    assert (fleet.group, fleet.params.instance_type) == ("main", "m6g.large")  # type: ignore[attr-defined]
    scaling = fleet.params.autoscaling  # type: ignore[attr-defined]
    assert (scaling.min_instances, scaling.max_instances, scaling.target_cpu_percent) == (2, 12, 50)
    balancer = model.nodes_by_id["web-alb"].params
    assert (balancer.idle_timeout_s, balancer.deregistration_delay_s) == (120, 30)  # type: ignore[attr-defined]
    assert balancer.algorithm == "least_outstanding_requests"  # type: ignore[attr-defined]
    metric = model.nodes_by_id["cloudwatch"].params.metrics[0]  # type: ignore[attr-defined]
    assert (metric.node, metric.name) == ("web-alb", "UnHealthyHostCount")
    assert [(e.source, e.target, e.protocol) for e in model.edges] == [
        ("caller", "web-alb", "https"),
        ("web-alb", "web", "http"),
    ]
    assert lint_errors(tmp_path, "web-plan") == [
        ("entry-shield", "nodes[3]"),
        ("entry-waf", "nodes[3]"),
        ("monitored", "nodes[1]"),  # the fleet: its CPU has no alarm
    ]


def test_a_state_of_notifications_subnets_and_aliases(tmp_path: Path) -> None:
    """Known ids place a function in its subnet, a bucket notification to a function is its
    edge, ``aws_alb`` is ``aws_lb``, and a policy attached to no role is reported."""
    fn = "arn:aws:lambda:eu-central-1:210987654321:function:thumbs"
    resources = [
        resource("aws_alb", "front", load_balancer_type="network", arn="arn:lb/front"),
        resource("aws_iam_policy", "spare", arn="arn:aws:iam::210987654321:policy/spare"),
        resource(
            "aws_lambda_function",
            "thumbs",
            function_name="thumbs",
            arn=fn,
            vpc_config=[{"subnet_ids": ["subnet-0a1"], "security_group_ids": []}],
        ),
        resource("aws_s3_bucket", "photos", bucket="photos-1", arn="arn:aws:s3:::photos-1"),
        resource(
            "aws_s3_bucket_notification",
            "photos",
            bucket="photos-1",
            lambda_function=[{"lambda_function_arn": fn, "events": ["s3:ObjectCreated:Put"]}],
        ),
        resource("aws_subnet", "a", id="subnet-0a1", vpc_id="vpc-0b2", cidr_block="10.0.1.0/24"),
        resource("aws_vpc", "main", id="vpc-0b2", cidr_block="10.0.0.0/16"),
    ]
    imported = import_terraform(plan_of(tmp_path, resources))
    model = load_model_text(imported.text).model
    assert model.nodes_by_id["thumbs"].group == "a"
    assert [(e.source, e.target, list(e.operations)) for e in model.edges] == [
        ("caller", "photos", ["PutObject"]),
        ("photos", "thumbs", ["Invoke"]),
    ]
    assert [(u.what, u.why) for u in imported.unmodeled] == [
        ("aws_alb.front", "only application load balancers are modeled"),
        (
            "aws_iam_policy.spare",
            "attached to no role of the plan: a policy alone grants nothing",
        ),
    ]
    assert model.groups[0].id == "eu-central-1"  # the region of the resources' ARNs
    assert "account_id: '210987654321'" in imported.text


def test_tiles_plan_reads_the_fargate_service_and_its_memory_tracking() -> None:
    """A fresh plan of an ECS service: its task definition's 1 vCPU / 3 GB on arm64, the
    scalable target's 2..6 and the memory policy (matched through resource_id); the
    listener rule's target group, named only in the configuration, gives the balancer's
    edge; the cluster is reported."""
    code, _, stderr = invoke("import", "terraform", str(DATA / "tiles-plan.json"))
    assert code == 0
    assert stderr == (
        "tiles-plan.json: 14 resources → 2 nodes, 1 edge, 2 not modeled\n"
        "  not modeled: aws_ecs_cluster.main: a Fargate cluster holds no capacity: its "
        "services are the nodes\n"
        "  not modeled: aws_lb_target_group.tasks: read into the load balancer forwarding to "
        "it\n"
    )
    model = load_model_text(import_terraform(DATA / "tiles-plan.json").text).model
    params = model.nodes_by_id["tiles"].params
    assert (params.cpu, params.memory_mib, params.cpu_architecture) == (1024, 3072, "arm64")  # type: ignore[attr-defined]
    assert (params.desired_count, params.health_check_grace_period_s) == (2, 30)  # type: ignore[attr-defined]
    scaling = params.autoscaling  # type: ignore[attr-defined]
    assert (scaling.min_tasks, scaling.max_tasks) == (2, 6)
    assert (scaling.metric, scaling.target_value, scaling.scale_out_cooldown_s) == (
        "memory",
        70,
        60,
    )
    assert [(e.source, e.target) for e in model.edges][1:] == [("edge", "tiles")]


def test_a_state_of_a_cache_its_subnet_group_and_its_caller() -> None:
    """aws_elasticache_replication_group with its subnet group (read into it) and its key;
    the function's CACHE_HOST equals the group's primary endpoint address: the edge."""
    code, _, stderr = invoke("import", "terraform", str(DATA / "sessions-state.json"))
    assert code == 0
    assert stderr == (
        "sessions-state.json: 10 resources → 5 nodes, 2 edges, 2 not modeled\n"
        "  not modeled: aws_elasticache_subnet_group.sessions: read into the caches placed "
        "in its subnets\n"
        "  not modeled: aws_security_group.cache: security groups are not modeled: the edges "
        "say who calls whom\n"
    )
    text = import_terraform(DATA / "sessions-state.json").text
    assert (
        "  # the environment of aws_lambda_function.get_session names "
        "aws_elasticache_replication_group.sessions's endpoint\n"
        "  - {from: get-session-lambda, to: sessions, operations: [GET, SET], protocol: tcp}\n"
    ) in text
    assert (
        "    params:\n      engine: valkey\n      node_type: cache.m7g.large\n"
        "      replicas: 1\n      multi_az: true\n      kms_key: cache\n"
    ) in text


def test_a_state_of_a_secret_and_its_rotation() -> None:
    code, _, stderr = invoke("import", "terraform", str(DATA / "credentials-state.json"))
    assert code == 0
    assert stderr == (
        "credentials-state.json: 6 resources → 4 nodes, 2 edges, 1 not modeled\n"
        "  not modeled: aws_secretsmanager_secret_version.db: a secret's value is not "
        "modeled; the secret is\n"
    )
    text = import_terraform(DATA / "credentials-state.json").text
    assert (
        "    params:\n      kms_key: db\n      rotation_lambda: rotate-lambda\n"
        "      rotation_days: 30\n"
    ) in text
