"""The `%jit_explain NAME` view: one tab per compilation stage, from `engine().explain(name)`.

Input is the plain dict the engine returns (string per stage), so a saved explanation renders
the same way; unknown extra string keys get tabs of their own after the standard ones.
"""
from __future__ import annotations

from typing import Mapping

import ipywidgets as w

from .charts import CodeView

# (key in the explanation dict, tab title), in pipeline order with the summary last.
STAGES = (("source", "source"), ("bytecode", "bytecode"), ("typed_ir", "typed IR"), ("tier1_ir", "tier-1 IR"),
          ("tier2_ir", "tier-2 IR"), ("asm", "assembly"), ("summary", "summary"))


def explain_sections(explanation: Mapping) -> list[tuple[str, str]]:
    """(title, text) per tab: the standard stages always (empty when not reached), then any extra keys."""
    known = {k for k, _ in STAGES}
    sections = [(title, str(explanation.get(key) or "")) for key, title in STAGES]
    sections += [(str(k), v) for k, v in explanation.items() if k not in known and isinstance(v, str)]
    return sections


def explain_text(explanation: Mapping) -> str:
    """The text/plain fallback: every section under a heading, stages not reached said so."""
    parts = []
    for title, text in explain_sections(explanation):
        parts.append(f"== {title} ==\n{text.rstrip() if text else '(not available: this stage has not run)'}")
    return "\n\n".join(parts)


class ExplainView(w.Tab):
    """Tabs of read-only code panes, one per stage."""

    def __init__(self, explanation: Mapping) -> None:
        self.explanation = dict(explanation)
        sections = explain_sections(self.explanation)
        self.panes = {title: CodeView(text=text, layout=w.Layout(width="100%")) for title, text in sections}
        super().__init__(list(self.panes.values()), layout=w.Layout(width="100%", max_width="1200px"))
        for i, title in enumerate(self.panes):
            self.set_title(i, title)
        self.add_class("tj-explain")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = explain_text(self.explanation)
        return bundle


def explain_view(explanation: Mapping, display: bool = True) -> ExplainView:
    """Builds (and by default displays) the tabs for one explanation dict; returns the view."""
    view = ExplainView(explanation)
    if display:
        from IPython.display import display as show
        show(view)
    return view
