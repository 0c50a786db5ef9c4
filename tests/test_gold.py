"""Export accuracy against the independent, hand-checked extraction of the seed."""

from __future__ import annotations

from types import ModuleType

from youcheng import Registry

from .conftest import load_script
from .expected import SEED_ANOMALY_LINES


def _evaluator() -> ModuleType:
    return load_script("evaluate_seed")


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


def test_the_registry_reports_the_anomalies_read_off_the_page(registry: Registry) -> None:
    """Each line of fixtures/seed_counts.toml's anomalies, under its kind, and no other."""
    assert sorted((a.kind, a.line) for a in registry.anomalies()) == SEED_ANOMALY_LINES
