"""A sweep result given to the site gets a page under the scenarios: the table with its
intervals and the charts; a result of another model, or not a sweep at all, is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgen.model import LoadedModel
from archgen.model.errors import InputError
from archgen.site.content import build_content
from archgen.site.plan import Paths, sections

PAGE = "sweeps/busy--api.autoscaling.min_instances.md"


def test_the_sweep_page_shows_the_table_and_the_charts(notes: LoadedModel, serial: Path) -> None:
    content = build_content(notes, Paths(), None, simulate=False, sweeps=[serial])
    assert content.sweep_titles == {
        "busy--api.autoscaling.min_instances": "Sweep of busy over api.autoscaling.min_instances"
    }
    page = content.pages[PAGE]
    assert page.startswith("# Sweep of busy over api&#46;autoscaling&#46;min&#95;instances\n")
    assert "3 seeds (seeds 1–3)" in page
    assert "| runs | Availability &#40;%&#41; |" in page
    charts = sorted(a for a in content.assets if a.startswith("charts/sweep-"))
    assert "charts/sweep-busy--api.autoscaling.min_instances--flows.save.p99_ms.svg" in charts
    assert all(f"(../{chart})" in page for chart in charts)
    nav = sections(notes.model, Paths(), content.sweep_titles)["scenarios"]
    assert nav[-1] == {"Sweeps": [{"Sweep of busy over api.autoscaling.min_instances": PAGE}]}


def test_a_sweep_of_another_model_or_no_sweep_is_refused(
    notes: LoadedModel, serial: Path, tmp_path: Path
) -> None:
    data = json.loads((serial / "sweep.json").read_text())
    data["model"] = "elsewhere"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"a sweep of model 'elsewhere', not of 'notes'"):
        build_content(notes, Paths(), None, simulate=False, sweeps=[other])
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "model": "notes"}')
    with pytest.raises(InputError, match=r"broken.json: not a sweep result \(scenario: Field"):
        build_content(notes, Paths(), None, simulate=False, sweeps=[broken])
