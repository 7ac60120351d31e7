"""A second, unrelated architecture validates: nothing in the schema is Amazon-specific."""

from __future__ import annotations

from archgen.model import LoadedModel


def test_photo_sharing_model_validates(photo: LoadedModel) -> None:
    model = photo.model
    assert model.system.id == "snapshot"
    assert [s.id for s in model.scenarios] == ["quiet-evening", "viral-post", "thumbnailer-down"]
    assert len(model.nodes) == 18


def test_html_in_labels_is_kept_verbatim_for_later_escaping(photo: LoadedModel) -> None:
    assert photo.model.node("phone").label == "Mobile app <script>alert('x')</script>"
    assert photo.model.system.name == "Snapshot <photo sharing> & friends"
