"""``--vary`` is checked against the model before anything runs: every problem at once, as
``error:`` lines with exit 2, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model import LoadedModel, ModelError
from archgen.runtime.sweep_params import configurations, configured, parse_knobs
from tests.sweep.conftest import NOTES, archgen


def test_every_problem_of_every_option_at_once(tmp_path: Path) -> None:
    code, out, err = archgen(
        "sweep",
        str(NOTES),
        "--vary",
        "apii.workers_per_instance=1",
        "--vary",
        "api.workers=2",
        "--vary",
        "api.autoscaling.max_instances=0,4,20000,many",
        "--vary",
        "indexer.event_source.batchsize=3",
        "--vary",
        "lb",
        "--vary",
        "api.autoscaling.max_instances=5",
        "--out",
        str(tmp_path / "sweep"),
    )
    assert code == 2
    assert out == ""
    where = f"error: {NOTES}"
    assert err.splitlines() == [
        "error: --vary: 'lb': expected NODE.PARAM=V1,V2,… (e.g. web.memory_mb=512,1024)",
        "error: --vary: api.autoscaling.max_instances: given twice; list its values once",
        "error: --vary: apii.workers_per_instance: no node 'apii' in the model (did you mean "
        "'api'?)",
        f"{where}:19:5: nodes[2].params: --vary api.autoscaling.max_instances=0: "
        "params.autoscaling.max_instances: Input should be greater than 0",
        f"{where}:19:5: nodes[2].params: --vary api.autoscaling.max_instances=20000: "
        "params.autoscaling.max_instances: Input should be less than or equal to 10000",
        f"{where}:19:5: nodes[2].params: --vary api.autoscaling.max_instances=many: "
        "params.autoscaling.max_instances: Input should be a valid integer, unable to parse "
        "string as an integer",
        f"{where}:19:5: nodes[2].params: --vary api.workers: 'workers' is not a param of kind "
        "ec2; it has: autoscaling, detailed_monitoring, instance_type, queue_capacity, "
        "service_time, workers_per_instance, zones",
        f"{where}:37:5: nodes[5].params: --vary indexer.event_source.batchsize: 'batchsize' is "
        "not a param of event_source (did you mean 'batch_size'?); it has: batch_size, "
        "max_batching_window_s, maximum_concurrency, queue, report_batch_item_failures",
    ]
    assert not (tmp_path / "sweep").exists()


def test_a_combination_the_model_refuses_is_refused_before_running(tmp_path: Path) -> None:
    code, _, err = archgen(
        "sweep",
        str(NOTES),
        "--vary",
        "api.autoscaling.min_instances=1,4",
        "--vary",
        "api.autoscaling.max_instances=2,8",
        "--out",
        str(tmp_path / "sweep"),
    )
    assert code == 2
    assert err.splitlines() == [
        f"error: {NOTES}:25:20: nodes[2].params.autoscaling: with "
        "api.autoscaling.min_instances=4, api.autoscaling.max_instances=2: "
        "min_instances (4) is greater than max_instances (2)"
    ]
    assert not (tmp_path / "sweep").exists()


def test_a_folder_of_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, _, err = archgen(
        "sweep", str(NOTES), "--vary", "api.queue_capacity=4", "--out", str(tmp_path)
    )
    assert code == 2
    assert err == (
        f"error: {tmp_path}: not a sweep folder: it holds notes.txt; choose an empty or new "
        "folder\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_configurations_are_the_cross_product_first_knob_slowest(notes: LoadedModel) -> None:
    knobs = parse_knobs(
        notes, ["api.autoscaling.max_instances=2,4", "indexer.memory_mb=128,256,512"]
    )
    assert [dict(c) for c in configurations(knobs)] == [
        {"api.autoscaling.max_instances": m, "indexer.memory_mb": mb}
        for m in (2, 4)
        for mb in (128, 256, 512)
    ]
    assert configurations(parse_knobs(notes, [])) == [()]


def test_values_are_yaml_scalars_and_land_in_the_model(notes: LoadedModel) -> None:
    knobs = parse_knobs(notes, ["api.instance_type=c5.xlarge", "indexer.memory_mb=1024"])
    assert [knob.values for knob in knobs] == [("c5.xlarge",), (1024,)]
    model = configured(notes, knobs, configurations(knobs)[0]).model
    assert model.nodes_by_id["api"].params.instance_type == "c5.xlarge"  # type: ignore[attr-defined]
    assert model.nodes_by_id["indexer"].params.memory_mb == 1024  # type: ignore[attr-defined]
    assert notes.model.nodes_by_id["indexer"].params.memory_mb == 128  # type: ignore[attr-defined]


def test_an_unknown_kind_value_is_the_kinds_own_message(notes: LoadedModel) -> None:
    with pytest.raises(ModelError, match=r"unknown instance type 'c9\.huge'"):
        parse_knobs(notes, ["api.instance_type=c9.huge"])
