"""The model card written beside the matcher artifact: what it is, its features (names
and meaning), the data it was trained on, its measured precision at the auto threshold,
its precision table (target precision -> threshold) and the date. Readable by a person;
regenerated on every promotion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cashapp.matcher.features import CATEGORICAL, DIFFERENCES, FEATURE_DOCS, ORIGINS


def write_card(model_dir: Path, version: str, card: dict[str, Any]) -> Path:
    ev = card["evaluation"]
    lines = [
        f"# Matcher scorer {version}",
        "",
        "What it is: a scikit-learn `HistGradientBoostingClassifier` scoring candidate",
        "allocations of a bank line (one row per candidate), and an `IsotonicRegression`",
        "calibrator fitted on out-of-fold line scores (3-fold cross-fitting) mapping the line score",
        "`p * (1 - best other p)` to the probability that the whole allocation is right.",
        f"Saved with skops (`matcher-{version}.skops`), loaded with an allow-list of types;",
        "never pickle. Manifest: `model.json`.",
        "",
        f"- trained: {card['trained']}",
        f"- produced by: {card.get('produced_by', 'unknown')}",
        f"- training data: {card['training_data']}",
        f"- training lines: {card['training_lines']}, candidates: {card['training_candidates']}",
        f"- parameters: `{json.dumps(card['hgb_params'], sort_keys=True)}`",
        f"- confidence cap: {card.get('confidence_cap_laplace', 1.0)} (Laplace bound on the top "
        "calibration bin: n right of n out-of-fold candidates proves at most (n+1)/(n+2))",
        "",
        *_precision_section(card),
        f"## Measured on the evaluation set (target precision {card['auto_precision_target']}, "
        f"threshold used {card.get('auto_threshold', card['auto_precision_target'])})",
        "",
        "| measure | value |",
        "|---|---|",
        f"| lines | {ev['lines']} (payments {ev['payments']}) |",
        f"| automatic rate (of payments) | {ev['automatic']:.4f} |",
        f"| precision of automatic decisions | {ev['auto_precision']:.5f} |",
        f"| wrong automatic decisions | {ev['auto_wrong']} |",
        f"| right in any form | {ev['right_any_form']:.4f} |",
        f"| non-payments applied | {ev['non_payments_applied']} |",
        "",
        "## Features (order matters; the artifact refuses to load with any other list)",
        "",
        "| # | name | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| {n} | `{name}` | {doc} |" for n, (name, doc) in enumerate(FEATURE_DOCS.items())]
    lines += [
        "",
        f"Categorical: {', '.join(CATEGORICAL)}. `difference` codes: "
        + ", ".join(f"{n}={d}" for n, d in enumerate(DIFFERENCES)) + ". `origin` codes: "
        + ", ".join(f"{n}={o}" for n, o in enumerate(ORIGINS)) + ".",
        "",
        "## Limits",
        "",
        "- Trained on generated scenarios (fixtures/scenarios) until enough confirmed review",
        "  decisions exist; real payer behaviour will differ. Retrain with `cashapp train`,",
        "  which refuses to promote a model that measures worse.",
        "- Customer-history features (`history_payments` .. `oldest_first_habit`, from",
        "  `LedgerView.customer_history`) were learned from generated habits; a new customer",
        "  (no past payment) has them unknown (NaN), and an erratic one gains little from them.",
        "",
    ]
    path = model_dir / "MODEL_CARD.md"
    path.write_text("\n".join(lines))
    return path


def _precision_section(card: dict[str, Any]) -> list[str]:
    """The table that turns a target precision into the threshold (``matcher.thresholds``)."""
    table = card.get("precision_table") or []
    if not table:
        return []
    floor = card.get("auto_min_confidence")
    lines = [
        "## Threshold set for a target precision (out of fold)",
        "",
        "The target is the precision of the automatic decisions as a set. For each target, the",
        "lowest calibrated probability at which the out-of-fold training lines at or above it",
        "(each line's best candidate, when it passes the identified / explained / trusted gates;",
        "a line with no right candidate counts as wrong) have a one-sided 95 % Clopper-Pearson",
        "upper bound on their error rate within 1 - target. The threshold used is the largest of",
        f"the per-decision floor ({floor}), the table's entry for the tenant's target (the next",
        "stricter entry between grid points; the target itself when no threshold reached it)",
        "and the customer's tightened threshold.",
        "",
        "| target precision | threshold | out-of-fold lines at or above | wrong among them "
        "| 95 % upper bound on the error rate |",
        "|---|---|---|---|---|",
    ]
    for row in table:
        threshold = "not reached" if row["threshold"] is None else f"{row['threshold']:.6f}"
        lines.append(f"| {row['target']} | {threshold} | {row['lines']} | {row['errors']} "
                     f"| {row['upper_bound']:.6f} |")
    return [*lines, ""]
