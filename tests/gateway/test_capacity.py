"""bench.capacity without starting kernels: its /proc readers, the sizing arithmetic and the
rewrite of docs/sizing.md's generated block (the real run is `python -m bench.capacity`)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # `bench` is a folder of the repo, not an installed package
capacity = pytest.importorskip("bench.capacity")

MIB = 2**20
SUMMARY = {"start_s": 1.0, "start_cpu_s": 0.3, "idle_rss": 50 * MIB, "idle_uss": 36 * MIB,
           "hot_rss": 150 * MIB, "hot_uss": 60 * MIB, "tier2_cpu_s": 0.2,
           "tiers": {"f": 2, "g": 2}, "compile_ms": {"f": 50.0, "g": 70.0}, "code_bytes": 4096}


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_proc_readers_see_this_process():
    pid = os.getpid()
    rss = capacity.rss_bytes(pid)
    uss, pss = capacity.uss_pss_bytes(pid)
    assert 0 < uss <= rss and 0 < pss <= rss
    assert capacity.cpu_seconds(pid) > 0


def test_sizing_counts_memory_two_ways_and_cpu_as_users():
    machine = capacity.Machine(cores=2, mem_gib=24, reserve_gib=2, duty=0.1)
    out = capacity.sizing(SUMMARY, machine)
    usable = 22 * 2**30
    assert out["by_rss"] == usable // (150 * MIB)
    assert out["by_uss"] == (usable - 90 * MIB) // (60 * MIB)  # the 90 MiB shared part counted once
    assert out["by_cpu"] == 20
    assert out["active"] == min(out["by_rss"], out["by_cpu"])
    assert out["tier2_per_core_s"] == pytest.approx(2 / 0.2)


def test_report_names_the_command_and_both_kernels():
    text = capacity.report({"tierjit": SUMMARY, "python3": dict(SUMMARY, tier2_cpu_s=None)},
                           capacity.Machine(), repeat=3)
    assert capacity.COMMAND in text
    assert "| per kernel | tierjit | ipykernel (`python3`) |" in text
    assert "**concurrently active kernels**" in text


def test_update_doc_replaces_only_the_generated_block(tmp_path):
    doc = tmp_path / "sizing.md"
    doc.write_text(f"intro\n{capacity.BEGIN}\nold\n{capacity.END}\noutro\n")
    capacity.update_doc(doc, "new table")
    assert doc.read_text() == f"intro\n{capacity.BEGIN}\nnew table\n{capacity.END}\noutro\n"


def test_docs_sizing_holds_a_measured_block():
    text = (REPO / "docs" / "sizing.md").read_text()
    block = text.split(capacity.BEGIN, 1)[1].split(capacity.END, 1)[0]
    assert capacity.COMMAND in block and "2-core / 24 GiB" in block
