"""Reading `%jit_stats --json` from a live tierjit kernel, however the test talks to it.

The kernel tests drive a local kernel through jupyter_client, the gateway tests a remote one
through websockets; both ask the same questions of the same stats document, so they share
this mixin. A client class provides `ok(code)`, which runs a cell that must succeed and
returns a result with the cell's `stdout`.
"""
from __future__ import annotations

import json
from typing import Any


class JitStatsQueries:
    def stats(self) -> dict[str, Any]:
        return json.loads(self.ok("%jit_stats --json").stdout)

    def function(self, name: str) -> dict[str, Any]:
        """The newest stats record of the function called `name`."""
        records = [f for f in self.stats()["functions"] if f["name"] == name]
        assert records, f"{name} is not in the stats"
        return records[-1]
