"""What a renderer is: a name, the formats it makes, and a pure ``render``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from archgen.model.errors import SetupError

if TYPE_CHECKING:
    from archgen.model.schema import Model
    from archgen.renderers.views import ComputedView


class RenderError(SetupError):
    """A renderer cannot run here (e.g. Graphviz is missing): a bad environment."""


class Renderer:
    """Base of the built-in renderers; third-party ones may subclass it or just duck-type
    ``name``, ``formats``, ``version`` and ``render`` (``position`` and ``needs_dot`` then
    default to 100 and False).

    ``render`` must be a function of the view and the format only (the model is there for
    look-ups whose result the view already reflects): the CLI skips a view whose content
    hash, renderer version and format did not change.
    """

    name: ClassVar[str]
    formats: ClassVar[tuple[str, ...]]
    """The formats it makes, as ``archgen render --format`` names them."""
    position: ClassVar[int] = 100
    """Where its formats come in the list of every format (lower first; then by name)."""
    needs_dot: ClassVar[bool] = False
    """Whether it runs Graphviz's ``dot``: the CLI checks it is there before drawing."""
    extensions: ClassVar[dict[str, str]] = {}

    @property
    def version(self) -> str:
        from archgen import __version__

        return f"archgen {__version__}"

    def render(self, model: Model, view: ComputedView, fmt: str) -> bytes:
        raise NotImplementedError

    def artifacts(self, model: Model, view: ComputedView, fmt: str) -> dict[str, bytes]:
        """File suffix → content; most formats make one file, ``.<extension>``."""
        return {"." + self.extensions.get(fmt, fmt): self.render(model, view, fmt)}

    def check_format(self, fmt: str) -> None:
        if fmt not in self.formats:
            raise ValueError(f"renderer {self.name} makes {', '.join(self.formats)}, not {fmt}")
