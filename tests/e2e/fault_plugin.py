"""A pytest plugin for the token-leak tests (`-p tests.e2e.fault_plugin`): it makes the HTTP stack itself raise.

http.client's `send` raises a RuntimeError (an exception no layer of the scanner expects) for every request whose
request line starts with FAULT_REQUEST_LINE. When it raises, the frames below the scanner's own code hold the raw
request bytes, Authorization header included: exactly what a traceback with locals (`pytest -l`) would print.
Every bearer token the stack sends is appended to FAULT_TOKENS_FILE so the test knows what must never appear.
"""

from __future__ import annotations

import http.client
import os
import re

_send = http.client.HTTPConnection.send
_BEARER = re.compile(rb"Authorization: Bearer (\S+)")


def _faulty_send(self: http.client.HTTPConnection, data: object) -> None:
    if isinstance(data, bytes):
        tokens = _BEARER.findall(data)
        if tokens:
            with open(os.environ["FAULT_TOKENS_FILE"], "ab") as sink:
                sink.write(b"".join(token + b"\n" for token in tokens))
        if data.startswith(os.environ["FAULT_REQUEST_LINE"].encode()):
            raise RuntimeError("injected fault inside http.client")
    _send(self, data)  # type: ignore[arg-type]


http.client.HTTPConnection.send = _faulty_send  # type: ignore[method-assign]
