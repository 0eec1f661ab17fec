"""mailharness: test bulk-mail pipelines for privacy errors before they reach families.

The public surface is small: `harness.check_pipeline` (one run, judged, raising an
AssertionError that lists the violations), the pytest plugin and the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.pipeline_check import PipelineFailure, check_pipeline

__all__ = ["PipelineFailure", "check_pipeline"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `import harness` (and the pytest plugin) stays cheap.
    if name in __all__:
        from harness import pipeline_check

        return getattr(pipeline_check, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
