"""``budgetlm eval model``: base vs tuned models side by side on the same held-out sets.

- ``items``: what is scored and why it is held out (:class:`EvalConfig`).
- ``metrics``: token-F1, entity micro-F1 with normalization, accuracy, percentiles (pure).
- ``runner``: one local model asked single-turn questions under a grammar.
- ``tasks``: the tasks, each one model over its items.
- ``report``: several models, their Δ, the Markdown table.
"""

from budgetlm.finetune.eval.items import EvalConfig
from budgetlm.finetune.eval.report import compare_models, markdown, metric_rows

__all__ = ["EvalConfig", "compare_models", "markdown", "metric_rows"]
