"""Running a hardening scenario in its own Python process, so a native crash fails one test.

Owns: the subprocess (same interpreter as pytest, `scenario.py` importable, TIERJIT_* settings
passed through the environment), the verdict on how it ended (a signal such as SIGSEGV or SIGABRT is
named in the failure), and the LONG switch (`TIERJIT_HARDENING_LONG=1`) with its bigger counts.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LONG = os.environ.get("TIERJIT_HARDENING_LONG", "").strip().lower() in ("1", "on", "true", "yes")
RESULT_TAG = "HARDENING-RESULT "


def pick(fast: int, long: int) -> int:
    """A count for the default run or for the long mode."""
    return long if LONG else fast


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str

    @property
    def died_of(self) -> str:
        if self.returncode >= 0:
            return f"exit status {self.returncode}"
        try:
            return f"signal {signal.Signals(-self.returncode).name}"
        except ValueError:
            return f"signal {-self.returncode}"

    @property
    def result(self) -> dict:
        lines = [ln for ln in self.stdout.splitlines() if ln.startswith(RESULT_TAG)]
        assert lines, f"the scenario printed no result\n{self.tail()}"
        return json.loads(lines[-1][len(RESULT_TAG):])

    def tail(self, n: int = 3000) -> str:
        return f"--- stdout ---\n{self.stdout[-n:]}\n--- stderr ---\n{self.stderr[-n:]}"


def run_python(code: str, timeout: float = 300, env: dict[str, str] | None = None) -> Finished:
    """Run `code` (dedented) in a fresh interpreter with `scenario` importable."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIERJIT_")}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    full_env["PYTHONFAULTHANDLER"] = "1"     # a crash prints the Python stack to stderr
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    return Finished(proc.returncode, proc.stdout, proc.stderr)


def run_scenario(code: str, timeout: float = 300, env: dict[str, str] | None = None) -> dict:
    """Run a scenario that must end normally; returns what it passed to `scenario.report`."""
    done = run_python(code, timeout, env)
    assert done.returncode == 0, f"scenario ended with {done.died_of}\n{done.tail()}"
    return done.result
