"""Client: users' devices. Sessions are driven by :mod:`archgen.runtime.traffic`; a client
node is never called itself (a call to it would just run its children).
A client's ``downlink_mbps`` and ``uplink_mbps`` bound the time an object takes to reach
or leave it (see :meth:`~archgen.runtime.behavior.NodeContext.finish`); its
``timeout_ms`` counts the wait for an answer, not that time.
Left out: client retries (a timed-out or failed call ends the flow execution), browser
caches, connection set-up (TCP slow start: a small object moves at the full rate), and
users sharing a link (each transfer has its user's whole bandwidth).
"""

from __future__ import annotations

from archgen.runtime.behavior import Behavior, register


@register("client")
class Client(Behavior):
    """Nothing to decide: the traffic module makes the client's calls."""
