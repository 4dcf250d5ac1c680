"""tierjit's views: the live `%jit_stats` dashboard, the `%jit_explain` tabs and the `%%jit_race` view.

They read the engine only through its stats document (a zero-argument callable or a recorded dict),
so every view can be rebuilt from `%jit_stats --json` output without the engine.
"""
from .breakeven import break_even, projected_break_even
from .dashboard import Dashboard, show_dashboard
from .explain import ExplainView, explain_text, explain_view
from .race import RaceView, race_text, race_view
from .records import DashboardModel, FunctionRow, build_model
from .text import dashboard_text

__all__ = ["Dashboard", "DashboardModel", "ExplainView", "FunctionRow", "RaceView", "break_even", "build_model",
           "dashboard_text", "explain_text", "explain_view", "projected_break_even", "race_text", "race_view",
           "show_dashboard"]
