"""EC2 Auto Scaling fleet: instances with workers and bounded queues, target tracking.

Rules (EC2 Auto Scaling User Guide):
- An instance serves ``workers_per_instance`` requests at once; each takes a service time
  from ``service_time``, then the instance makes the flow's child calls, holding the worker
  (a thread blocked on I/O). Excess requests wait in the instance's FIFO queue of
  ``queue_capacity``; beyond it the request is rejected with ``503``.
- ``CPUUtilization`` is CPU time, not busy workers: the service time is the request's CPU
  time, its downstream calls are I/O wait that holds a worker but burns no CPU. At any
  instant an instance burns min(workers in their service time, vCPUs of its
  ``instance_type``); the metric is that time over vCPU time of the counted instances.
  EC2 publishes it every 5 minutes (basic monitoring) or every minute
  (``detailed_monitoring``); a period of the run without a datapoint has none.
- Target tracking reads one CPU datapoint per monitoring period over the n instances past
  warm-up that answer (a silent instance sends no data). Its scale-out alarm needs 3
  datapoints in a row above the target, its scale-in alarm 15 in a row below 90 % of it;
  a missing datapoint breaks a run. Desired = ceil(n × CPU / target); scale-out launches
  what the capacity (launching and warming instances included: they will take their share)
  lacks of it; scale-in, only while no instance is launching or warming, goes toward it
  after ``scale_in_cooldown_s`` since the last activity, by at most 10 % of the fleet at a
  time.
  Capacity is clamped to [min, max] (scaled by the run's scale).
- A new instance boots for ``launch_s``, then is in service (the load balancer sends it
  traffic once it passes a health check); it counts in the metric only after ``warmup_s``
  (AWS's default instance warm-up semantics).
- Instances in a zone that is out (AZ outage) stop answering (``502`` from a load
  balancer, which keeps sending to them until its health checks mark them unhealthy).
  Auto Scaling replaces an instance only once a health check says it is unhealthy, past
  ``health_check_grace_period_s`` in service: EC2 status checks every minute (an instance
  that does not answer two checks in a row is impaired), or with ``health_check_type:
  elb`` also when a load balancer marks it unhealthy. Replacements go to the zones that are
  up; a whole-node or region outage stops Auto Scaling too.
- A load balancer's ``HealthCheck`` (no flow step) is answered at once by the instance it
  is routed to, without taking a worker or a queue slot (a cheap status page); an instance
  that does not answer lets it time out: error ``Timeout`` after the caller's
  ``health_check_timeout_s`` (default 5 s, the ELB default). A region or node outage fails
  it at the door, like any call.
- Alarm ``scale`` actions add ``adjustment`` (real instances, scaled) at once.
- Scale-in deregisters the newest instances from their load balancers: no new requests,
  in-flight and queued ones finish; the instance terminates when they are done, or when the
  load balancers' longest ``deregistration_delay_s`` ends, which cuts the requests still
  running (``502``). Without a load balancer there is no draining: it terminates at once.
- The summary's queue figures count requests that arrived after the scenario's warm-up;
  its ``zones`` give the instances in service per availability zone.
Left out: lifecycle hooks, CPU contention (more computing workers than vCPUs do not
stretch the service time; the metric saturates at 100 %), burstable CPU credits, and
Auto Scaling's AZ rebalancing once a zone is back.
"""

from __future__ import annotations

from typing import Any

from archgen.model.kind import KindParams
from archgen.model.kinds import Ec2Params
from archgen.runtime.behavior import Footprint, NodeContext, register, scaled_count
from archgen.runtime.behaviors.fleet import Fleet, FleetPlan, Instance

__all__ = ["Ec2Fleet", "Instance"]


@register("ec2")
class Ec2Fleet(Fleet):
    """An Auto Scaling group: the shared fleet with EC2's boot time, warm-up, monitoring
    period, scheduled actions and its one cooldown after any scaling activity."""

    @classmethod
    def footprint(cls, params: KindParams, scale: float, items: int) -> Footprint:
        """Memory for the largest fleet; idle health checks for the initial one (a grown
        fleet serves calls, which are counted already)."""
        assert isinstance(params, Ec2Params)
        return Footprint(
            instances=scaled_count(params.autoscaling.max_instances, scale),
            workers=scaled_count(params.autoscaling.initial_instances, scale),
        )

    def __init__(self, ctx: NodeContext) -> None:
        params = ctx.node.params
        assert isinstance(params, Ec2Params)
        scaling = params.autoscaling
        self.launch_ms = scaling.launch_s * 1000.0
        super().__init__(
            ctx,
            FleetPlan(
                workers=params.workers_per_instance,
                vcpus=params.vcpus,
                queue_capacity=params.queue_capacity,
                service_time=params.service_time,
                zones=params.zones,
                min=scaling.min_instances,
                max=scaling.max_instances,
                desired=scaling.desired_instances,
                target=scaling.target_cpu_percent,
                warmup_s=scaling.warmup_s,
                scale_in_cooldown_s=scaling.scale_in_cooldown_s,
                period_s=params.monitoring_period_s,
                elb_health=scaling.health_check_type == "elb",
                grace_s=scaling.health_check_grace_period_s,
                names=("min_instances", "max_instances", "desired_instances"),
                scheduled=scaling.scheduled_actions,
            ),
        )

    def _start_ms(self) -> float:
        return self.launch_ms

    def summary(self) -> dict[str, Any]:
        return super().summary() | {
            "workers_per_instance": self.workers,
            "vcpus_per_instance": self.vcpus,
        }
