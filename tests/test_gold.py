"""Export accuracy against the independent, hand-checked extraction of the seed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from youcheng import Registry

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "evaluate_seed.py"


def _evaluator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("evaluate_seed", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_export_matches_gold_precision_and_recall(registry: Registry) -> None:
    ev = _evaluator()
    precision, recall, diffs = ev.evaluate(ev.record_rows(list(registry.records())), ev.gold_rows())
    assert precision >= 0.99 and recall >= 0.99, "\n".join(diffs)


def test_evaluate_counts_a_wrong_record_against_both_measures() -> None:
    ev = _evaluator()
    gold = [("s", "1", "a", "b", "b", "", "1990", ""), ("s", "2", "a", "c", "c", "", "", "")]
    mine = [gold[0], ("s", "2", "a", "X", "c", "", "", "")]
    precision, recall, diffs = ev.evaluate(mine, gold)
    assert (precision, recall, len(diffs)) == (0.5, 0.5, 2)
