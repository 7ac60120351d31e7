"""S3 bucket: an object store with strong read-after-write consistency.

Rules (S3 User Guide, S3 SLA):
- The bucket starts with ``objects`` objects (the scenario's items 0..objects-1); a GET of
  any other key answers ``NoSuchKey`` (404) unless it was PUT earlier in the run.
- The object key is the step's ``key`` when it declares one (e.g. ``trace``: one object per
  flow execution), else the flow's item.
- PUT/DELETE are atomic per key and immediately visible to the next GET/LIST (strong
  consistency). Each stored object has a size and an ETag-like checksum.
- Latency: ``get`` for reads, ``put`` for writes, then, for an operation that moves an
  object (``GetObject``, ``PutObject``, ``GET``/``PUT``/``POST``), the time its
  ``object_size_kb`` takes at the lower of ``connection_mbps`` (one request's throughput:
  AWS's guidance is 85–90 MB/s per connection) and the caller's own link (a client's
  ``downlink_mbps``/``uplink_mbps``). The system adds it when the request ends
  (:meth:`NodeContext.finish`), for every kind with an object size, in both fidelities.
- A request with a presigned URL (the edge's ``presigned_by``) is authorised, before it
  arrives, as the role of the node that signed the URL, with the bucket's SSE-KMS key use:
  a client's upload is refused ``AccessDenied`` when the signer may not do it.
- Outages come from faults (node or region outage → ``ServiceUnavailable``, a 503); the SLA
  availability is a monthly target, not a per-request error rate, so no random errors.
- Request metrics (``AWS/S3``, as a bucket's request-metrics configuration publishes them):
  every request ended here counts in ``AllRequests`` and in its verb's count (GET, PUT —
  any other write —, DELETE, LIST), errors in ``4xxErrors``/``5xxErrors``, and its time
  in ``TotalRequestLatency``.
Left out: versioning, lifecycle rules, per-prefix request rate limits, multipart uploads
and byte-range reads (one connection moves the whole object: a large one moved over
parallel connections would be faster), and replication between buckets.
"""

from __future__ import annotations

import zlib
from typing import Any

from archgen.model.kinds import S3Params
from archgen.runtime.aws.operations import is_client_error, is_read
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.store import record_write


@register("s3")
class S3(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, S3Params)
        params = node.params
        self.initial = params.objects
        self.size = int(params.object_size_kb * 1024)
        self.get = ctx.sampler(params.get)
        self.put = ctx.sampler(params.put)
        self.written: dict[int | str, tuple[int, int]] = {}  # key → (size, crc32)
        self.deleted: set[int | str] = set()
        self.reads = 0
        self.writes = 0
        self.not_found = 0

    def exists(self, key: int | str) -> bool:
        if key in self.written:
            return True
        return isinstance(key, int) and 0 <= key < self.initial and key not in self.deleted

    def handle(self, call: Call) -> None:
        if is_read(call.op):
            self.ctx.after(self.get(), self._read, call)
        else:
            self.ctx.after(self.put(), self._write, call)

    def _write(self, call: Call) -> None:
        key = call.object_key() if call.payload is None else hash_key(call.payload)
        self.writes += 1
        if call.op.startswith(("Delete", "DELETE")):
            self.written.pop(key, None)
            self.deleted.add(key)
        else:
            body = f"{call.trace.id}:{call.span}".encode()
            self.written[key] = (self.size, zlib.crc32(body))
            self.deleted.discard(key)
            record_write(self.ctx, call)  # data at rest, for the encryption check
        self.ctx.run_children(call, self.ctx.finish)

    def _read(self, call: Call) -> None:
        self.reads += 1
        if call.op.startswith(("List", "LIST")) or self.exists(call.object_key()):
            self.ctx.run_children(call, self.ctx.finish)
            return
        self.not_found += 1
        self.ctx.fail(call, "NoSuchKey")

    def completed(self, call: Call) -> None:
        emit = self.ctx.emit
        emit("AllRequests", 1)
        op = call.op
        if op.startswith(("List", "LIST")):
            emit("ListRequests", 1)
        elif op.startswith(("Get", "GET")):
            emit("GetRequests", 1)
        elif op.startswith(("Delete", "DELETE")):
            emit("DeleteRequests", 1)
        elif not is_read(op):
            emit("PutRequests", 1)
        error = call.error
        if error is not None:
            emit("4xxErrors" if is_client_error(error) else "5xxErrors", 1)
        emit("TotalRequestLatency", self.ctx.now - call.start)

    def condition(self, name: str, call: Call) -> bool | None:
        if name == "not_found":
            return not self.exists(call.object_key())
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "objects": {
                "reads": self.reads,
                "writes": self.writes,
                "not_found": self.not_found,
                "written": len(self.written),
            }
        }


def hash_key(payload: Any) -> int:
    return zlib.crc32(repr(payload).encode())
