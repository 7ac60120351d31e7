"""The ``alarms`` rule: a scenario's alarms did what the scenario expects of them.

Judged from the alarm history the run's summary keeps (``alarm_history`` of the nodes that
evaluate alarms: each transition with its time): an alarm in ``must_not_fire`` never
entered ALARM; one in ``must_fire_within_s`` entered ALARM at or after the scenario's first
fault (the run's start without a fault) and no later than its deadline.
"""

from __future__ import annotations

from archgen.model.schema import Scenario
from archgen.runtime.check.report import FindingSink
from archgen.runtime.check.spans import RunFolder


def alarm_transitions(run: RunFolder) -> list[tuple[float, str]]:
    """``(t_s, alarm)`` of every transition to ALARM in the run, in time order."""
    if run.summary is None:
        return []
    found: list[tuple[float, str]] = []
    for node in run.summary.nodes.values():
        history = (node.__pydantic_extra__ or {}).get("alarm_history")
        if not isinstance(history, list):
            continue
        for entry in history:
            if isinstance(entry, dict) and entry.get("to") == "ALARM":
                t_s, alarm = entry.get("t_s"), entry.get("alarm")
                if isinstance(t_s, int | float) and isinstance(alarm, str):
                    found.append((float(t_s), alarm))
    return sorted(found)


def check_alarms(
    sink: FindingSink, run: RunFolder, scenario: Scenario, index: int
) -> list[tuple[str, str]]:
    """Findings of the ``alarms`` rule for one run; facts saying what each expected alarm
    did."""
    expect = scenario.alarms
    if not expect.must_not_fire and not expect.must_fire_within_s:
        return []
    if run.summary is None:
        return [("alarms", "not judged: the run folder has no summary.json")]
    fired = alarm_transitions(run)
    base = ("scenarios", index, "alarms")
    name = scenario.id
    facts: list[tuple[str, str]] = []
    for i, alarm in enumerate(expect.must_not_fire):
        times = [t_s for t_s, which in fired if which == alarm]
        sink.measure(f"alarm {alarm}", {"fired": len(times)})
        if times:
            sink.add(
                "alarms",
                (*base, "must_not_fire", i),
                f"alarm '{alarm}' fired in {name} at {times[0]:g} s ({len(times)} "
                f"time{'s' if len(times) != 1 else ''}); the scenario says it must not fire",
                values={"first_fired_s": times[0], "fired": len(times)},
            )
            facts.append((f"alarm {alarm}", f"fired at {times[0]:g} s (must not fire)"))
        else:
            facts.append((f"alarm {alarm}", "did not fire (must not fire)"))
    start = scenario.first_fault_s
    since = f"the first fault at {start:g} s" if scenario.faults else "the start of the run"
    for alarm, within in expect.must_fire_within_s.items():
        after = next((t_s - start for t_s, which in fired if which == alarm and t_s >= start), None)
        measured: dict[str, float | int] = {"limit_s": within}
        if after is not None:
            measured["fired_after_s"] = after
        sink.measure(f"alarm {alarm}", measured)
        path = (*base, "must_fire_within_s", alarm)
        if after is None:
            sink.add(
                "alarms",
                path,
                f"alarm '{alarm}' never fired in {name} after {since}; the scenario says it "
                f"must fire within {within:g} s",
                values={"limit_s": within},
            )
            facts.append((f"alarm {alarm}", f"did not fire (must fire within {within:g} s)"))
            continue
        if after > within:
            sink.add(
                "alarms",
                path,
                f"alarm '{alarm}' fired in {name} {after:g} s after {since}, later than the "
                f"{within:g} s the scenario allows",
                values={"fired_after_s": after, "limit_s": within},
            )
        facts.append(
            (f"alarm {alarm}", f"fired {after:g} s after {since} (must fire within {within:g} s)")
        )
    return facts
