"""The import audit of issue 14: CloudFront (origins, an origin group's failover, TTLs,
Origin Shield, its web ACL), Route 53 (failover records, health checks), WAF (a rate-based
rule, associations) and CloudWatch alarms (actions disabled) from a template in the shape
of the public samples (an S3 website behind CloudFront; Route 53 failover between two load
balancers)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.cloudformation import import_cloudformation
from archgen.model.load import load_model_text
from tests.golden import assert_golden

DATA = Path(__file__).parent / "data"
TEMPLATE = DATA / "static-site.yaml"
FINDING = re.compile(r"^  (error|warning): .*?\[([a-z-]+)\]", re.M)


def test_imported_model_is_the_golden() -> None:
    assert_golden(DATA / "static-site.model.yaml", import_cloudformation(TEMPLATE).text)


def test_every_resource_is_read() -> None:
    imported = import_cloudformation(TEMPLATE)
    assert (imported.resources, imported.nodes, imported.edges) == (15, 9, 4)
    assert imported.unmodeled == ()


def test_the_distribution_fails_over_between_its_origin_groups_buckets() -> None:
    model = load_model_text(import_cloudformation(TEMPLATE).text).model
    cdn = model.nodes_by_id["distribution"].params
    assert [(o.target, o.failover.value) for o in cdn.origins] == [  # type: ignore[attr-defined]
        ("site-bucket", "primary"),
        ("backup-bucket", "secondary"),
    ]
    ttls = (cdn.min_ttl_s, cdn.default_ttl_s, cdn.max_ttl_s)  # type: ignore[attr-defined]
    assert ttls == (0, 3600, 86400)
    assert cdn.origin_shield is True  # type: ignore[attr-defined]
    assert model.edge("distribution", "backup-bucket") is not None
    edge = model.nodes_by_id["edge-acl"].params
    assert edge.protects == ("distribution",)  # type: ignore[attr-defined]
    rule = edge.rate_rule  # type: ignore[attr-defined]
    assert (rule.limit, rule.window_s, rule.key) == (500, 120, "ip")
    assert model.nodes_by_id["api-acl"].params.protects == ("active-balancer",)  # type: ignore[attr-defined]


def test_route53_failover_records_with_their_health_checks() -> None:
    model = load_model_text(import_cloudformation(TEMPLATE).text).model
    dns = model.nodes_by_id["dns"].params
    assert dns.routing.value == "failover"  # type: ignore[attr-defined]
    assert (dns.health_check_interval_s, dns.failure_threshold) == (10, 2)  # type: ignore[attr-defined]
    assert [(r.target, r.failover.value, r.health_check) for r in dns.records] == [  # type: ignore[attr-defined]
        ("active-balancer", "primary", True),
        ("standby-balancer", "secondary", True),
    ]


def test_a_cache_policy_gives_its_ttls(tmp_path: Path) -> None:
    """AWS's managed CachingOptimized policy: 1 s, 1 day, 1 year."""
    text = TEMPLATE.read_text(encoding="utf-8").replace(
        "          ForwardedValues: {QueryString: false}\n"
        "          MinTTL: 0\n"
        "          DefaultTTL: 3600\n"
        "          MaxTTL: 86400\n",
        "          CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6\n",
    )
    template = tmp_path / "site.yaml"
    template.write_text(text, encoding="utf-8")
    cdn = load_model_text(import_cloudformation(template).text).model.nodes_by_id["distribution"]
    ttls = (cdn.params.min_ttl_s, cdn.params.default_ttl_s, cdn.params.max_ttl_s)  # type: ignore[attr-defined]
    assert ttls == (1, 86_400, 31_536_000)


def test_an_alarm_with_actions_disabled_notifies_nobody(tmp_path: Path) -> None:
    template = tmp_path / "alarm.yaml"
    template.write_text(
        "Resources:\n"
        "  Jobs: {Type: AWS::SQS::Queue}\n"
        "  Ops: {Type: AWS::SNS::Topic}\n"
        "  Deep:\n"
        "    Type: AWS::CloudWatch::Alarm\n"
        "    Properties:\n"
        "      Namespace: AWS/SQS\n"
        "      MetricName: ApproximateNumberOfMessagesVisible\n"
        "      Dimensions: [{Name: QueueName, Value: !GetAtt Jobs.QueueName}]\n"
        "      Statistic: Maximum\n"
        "      Period: 60\n"
        "      EvaluationPeriods: 1\n"
        "      Threshold: 100\n"
        "      ComparisonOperator: GreaterThanThreshold\n"
        "      ActionsEnabled: false\n"
        "      AlarmActions: [!Ref Ops]\n",
        encoding="utf-8",
    )
    imported = import_cloudformation(template)
    assert "  # Deep: ActionsEnabled is false, its actions are not read\n" in imported.text
    alarm = load_model_text(imported.text).model.nodes_by_id["cloudwatch"].params.alarms[0]  # type: ignore[attr-defined]
    assert alarm.actions == ()


def test_round_trip(tmp_path: Path) -> None:
    """import → validate → run the starter → check: the lint's findings are the template's
    gaps (nothing Shield-protected, no alarm on the buckets)."""
    model = tmp_path / "model.yaml"
    runner = CliRunner()
    args = ["import", "cloudformation", str(TEMPLATE), "-o", str(model)]
    assert runner.invoke(cli, args, catch_exceptions=False).exit_code == 0
    assert runner.invoke(cli, ["validate", str(model)]).exit_code == 0
    result = runner.invoke(cli, ["run", str(model), "-o", str(tmp_path / "run")])
    assert result.exit_code == 0
    assert "violations 0, availability 100.000 %" in result.stdout
    result = runner.invoke(cli, ["check", str(model)], catch_exceptions=False)
    found = Counter(f"{level} {rule}" for level, rule in FINDING.findall(result.stdout))
    assert dict(found) == {
        "error entry-shield": 1,
        "error monitored": 2,
        # The starter flow reaches the distribution only: the origin and DNS edges, the
        # balancers and the backup bucket wait for the real flows.
        "warning edge-coverage": 2,
        "warning flow-participation": 4,
    }


LB_DNS = "web-1234.us-east-2.elb.amazonaws.com"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
ACL_ARN = "arn:aws:wafv2:us-east-2:123456789012:regional/webacl/web/a1b2c3"
BUCKET_DOMAIN = "site-assets.s3.us-east-2.amazonaws.com"


def test_terraform_maps_the_same_types(tmp_path: Path) -> None:
    """aws_cloudfront_distribution, aws_route53_record/_health_check, aws_wafv2_web_acl and
    its association, added to the web plan, read as their CloudFormation shapes."""
    import json

    from archgen.model.importers.terraform import import_terraform
    from tests.importers.test_egress_import import _add

    plan = json.loads((DATA / "web-plan.json").read_text(encoding="utf-8"))
    for section in (plan["planned_values"]["root_module"]["resources"],):
        for resource in section:
            if resource["address"] == "aws_lb.web":
                resource["values"].update(dns_name=LB_DNS, arn=LB_ARN)
    for change in plan["resource_changes"]:
        if change["address"] == "aws_lb.web":
            change["change"]["after"].update(dns_name=LB_DNS, arn=LB_ARN)
            change["change"]["after_unknown"].pop("dns_name", None)
            change["change"]["after_unknown"].pop("arn", None)
    bucket = {"bucket": "site-assets", "bucket_regional_domain_name": BUCKET_DOMAIN}
    _add(plan, "aws_s3_bucket", "site", bucket, {})
    acl = {
        "arn": ACL_ARN,
        "scope": "REGIONAL",
        "rule": [
            {
                "name": "per-ip",
                "statement": [
                    {"rate_based_statement": [{"limit": 300, "aggregate_key_type": "IP"}]}
                ],
            }
        ],
    }
    _add(plan, "aws_wafv2_web_acl", "web", acl, {})
    association = {"resource_arn": LB_ARN, "web_acl_arn": ACL_ARN}
    _add(plan, "aws_wafv2_web_acl_association", "web", association, {})
    distribution = {
        "origin": [{"origin_id": "site", "domain_name": BUCKET_DOMAIN}],
        "default_cache_behavior": [
            {"target_origin_id": "site", "min_ttl": 0, "default_ttl": 600, "max_ttl": 3600}
        ],
    }
    _add(plan, "aws_cloudfront_distribution", "site", distribution, {})
    check = {"type": "HTTPS", "request_interval": 10, "failure_threshold": 4}
    _add(plan, "aws_route53_health_check", "web", check, {})
    record = {
        "name": "www.example.org",
        "type": "A",
        "set_identifier": "web",
        "alias": [{"name": LB_DNS, "evaluate_target_health": False}],
        "failover_routing_policy": [{"type": "PRIMARY"}],
    }
    _add(
        plan,
        "aws_route53_record",
        "www",
        record,
        {"health_check_id": "aws_route53_health_check.web"},
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    imported = import_terraform(path)
    model = load_model_text(imported.text).model
    nodes = model.nodes_by_id
    cdn = nodes["site-cloudfront"].params
    assert [(o.target, o.failover.value) for o in cdn.origins] == [("site", "primary")]  # type: ignore[attr-defined]
    assert (cdn.min_ttl_s, cdn.default_ttl_s, cdn.max_ttl_s) == (0, 600, 3600)  # type: ignore[attr-defined]
    dns = nodes["dns"].params
    assert [(r.target, r.failover.value) for r in dns.records] == [("web-alb", "primary")]  # type: ignore[attr-defined]
    assert (dns.health_check_interval_s, dns.failure_threshold) == (10, 4)  # type: ignore[attr-defined]
    waf = nodes["web-waf"].params
    assert waf.protects == ("web-alb",)  # type: ignore[attr-defined]
    assert waf.rate_rule.limit == 300  # type: ignore[attr-defined]
    reported = [u.logical_id for u in imported.unmodeled]
    assert not [a for a in reported if a.startswith(("aws_cloudfront", "aws_route53", "aws_wafv2"))]


def test_aurora_cluster_instances_and_global_database() -> None:
    """The cluster is the node: its two instances make it Multi-AZ and give its class, its
    key is read, the global cluster is noted; a standalone instance is reported."""
    imported = import_cloudformation(DATA / "aurora.yaml")
    assert_golden(DATA / "aurora.model.yaml", imported.text)
    assert [(u.type, u.logical_id) for u in imported.unmodeled] == [
        ("AWS::RDS::DBInstance", "Reporting")
    ]
    records = load_model_text(imported.text).model.nodes_by_id["records"]
    params = records.params
    assert (params.engine, params.multi_az, params.instance_class) == (  # type: ignore[attr-defined]
        "aurora-postgresql",
        True,
        "db.r6g.large",
    )
    assert params.kms_key == "data-key"  # type: ignore[attr-defined]
    assert "  # global database RecordsGlobal: its primary cluster\n" in imported.text


def test_terraform_aurora_cluster_and_its_instances(tmp_path: Path) -> None:
    import json

    from archgen.model.importers.terraform import import_terraform
    from tests.importers.test_egress_import import _add

    plan = json.loads((DATA / "web-plan.json").read_text(encoding="utf-8"))
    _add(plan, "aws_rds_cluster", "records", {"engine": "aurora-postgresql"}, {})
    for name in ("writer", "reader"):
        instance = {"instance_class": "db.r6g.large", "engine": "aurora-postgresql"}
        _add(
            plan,
            "aws_rds_cluster_instance",
            name,
            instance,
            {"cluster_identifier": "aws_rds_cluster.records"},
        )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    imported = import_terraform(path)
    records = load_model_text(imported.text).model.nodes_by_id["records"].params
    assert (records.engine, records.multi_az, records.instance_class) == (  # type: ignore[attr-defined]
        "aurora-postgresql",
        True,
        "db.r6g.large",
    )
    reported = [u.logical_id for u in imported.unmodeled]
    assert not [a for a in reported if a.startswith("aws_rds_")]
