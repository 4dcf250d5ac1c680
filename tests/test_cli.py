"""`tierjit run SCRIPT` behaves like `python3 SCRIPT` (output, argv, exit status,
tracebacks) while the script's top-level functions go through the engine."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tierjit

TIERJIT = str(Path(sys.executable).with_name("tierjit"))  # the console script pip installed


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)


def _script(tmp_path: Path, body: str, name: str = "script.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


SCRIPTS = {
    "prints": """
        def square(x):
            return x * x
        print(sum(square(i) for i in range(1000)))
        print(__name__)
    """,
    "argv": """
        import sys
        print(sys.argv)
    """,
    "exit_status": """
        import sys
        def main():
            print("bye")
            return 3
        sys.exit(main())
    """,
    "exit_message": """
        raise SystemExit("fatal: no input")
    """,
    "uncaught": """
        def parse(text):
            return int(text)
        print("before")
        parse("not a number")
    """,
    "syntax_error": """
        def broken(:
            pass
    """,
}


@pytest.mark.parametrize("case", sorted(SCRIPTS))
def test_run_matches_python(tmp_path, case):
    _script(tmp_path, SCRIPTS[case])
    args = ["script.py", "one", "--two"]
    expected = _run([sys.executable, *args], tmp_path)
    got = _run([TIERJIT, "run", *args], tmp_path)
    assert (got.stdout, got.returncode) == (expected.stdout, expected.returncode)
    assert got.stderr == expected.stderr


def test_options_after_the_script_belong_to_the_script(tmp_path):
    _script(tmp_path, SCRIPTS["argv"])
    got = _run([TIERJIT, "run", "script.py", "--stats", "--json", "x.json"], tmp_path)
    assert got.stdout == "['script.py', '--stats', '--json', 'x.json']\n"
    assert got.stderr == ""
    assert not (tmp_path / "x.json").exists()


def test_json_writes_the_stats_document_with_the_scripts_functions(tmp_path):
    script = _script(tmp_path, SCRIPTS["prints"])
    (tmp_path / "out").mkdir()
    got = _run([TIERJIT, "run", "--json", "out/stats.json", "script.py"], tmp_path)
    assert got.returncode == 0, got.stderr
    doc = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert doc["version"] == 1
    (record,) = [f for f in doc["functions"] if f["name"] == "square"]
    assert record["defined_in"] == str(script.resolve())
    assert sum(record["calls"].values()) == 1000


def test_json_is_written_even_when_the_script_fails(tmp_path):
    _script(tmp_path, SCRIPTS["uncaught"])
    got = _run([TIERJIT, "run", "--json", "stats.json", "script.py"], tmp_path)
    assert got.returncode == 1
    doc = json.loads((tmp_path / "stats.json").read_text())
    assert [f["name"] for f in doc["functions"]] == ["parse"]


def test_stats_prints_the_table_on_stderr_after_the_output(tmp_path):
    _script(tmp_path, SCRIPTS["prints"])
    got = _run([TIERJIT, "run", "--stats", "script.py"], tmp_path)
    assert got.stdout == "332833500\n__main__\n"
    assert "square" in got.stderr


def test_missing_script_exits_2(tmp_path):
    got = _run([TIERJIT, "run", "nowhere.py"], tmp_path)
    assert got.returncode == 2
    assert "nowhere.py" in got.stderr


def test_version():
    got = _run([TIERJIT, "--version"], Path.cwd())
    assert got.stdout.strip() == f"tierjit {tierjit.__version__}"


def test_script_runs_without_loading_jupyter(tmp_path):
    _script(
        tmp_path,
        """
        import sys
        def f(x):
            return x + 1
        f(1)
        print(sorted(m for m in ("IPython", "ipykernel", "jupyter_client", "zmq") if m in sys.modules))
        """,
    )
    assert _run([TIERJIT, "run", "script.py"], tmp_path).stdout == "[]\n"
