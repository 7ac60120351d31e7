"""Client: users' devices. Sessions are driven by :mod:`archgen.runtime.traffic`; a client
node is never called itself (a call to it would just run its children).
Left out: client retries (a timed-out or failed call ends the flow execution), browser
caches and connection set-up.
"""

from __future__ import annotations

from archgen.runtime.behavior import Behavior, register


@register("client")
class Client(Behavior):
    """Nothing to decide: the traffic module makes the client's calls."""
