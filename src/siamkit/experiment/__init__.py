"""Whole experiments from a config: what ``siamkit train`` and ``siamkit demo`` run.

    from siamkit.config import load_config
    from siamkit.experiment import run_experiment
    result = run_experiment(load_config("examples/digits_mlp.toml"), "runs/digits")
    print(result.metrics["test"]["accuracy"], result.report)
"""

from ..evaluation.pairs import VerificationPairs, verification_pairs  # their old home was here
from .data import Splits, load_source, load_splits
from .demo import DEMO_TOML, demo_config, run_demo
from .run import RunResult, evaluate_run, run_experiment

__all__ = [
    "DEMO_TOML", "RunResult", "Splits", "VerificationPairs", "demo_config", "evaluate_run",
    "load_source", "load_splits", "run_demo", "run_experiment", "verification_pairs",
]
