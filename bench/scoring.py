"""Benchmarks of the scoring engine on this machine: one application end to end, batches, training.

    .venv/bin/python bench/scoring.py [--rows 50000] [--repeat 500] [--json]

One application = what the Celery task computes for it, without the database: five banks'
probabilities in one vectorised pass, SHAP contributions, explanations in words, offers,
knock-out rules, amount/term suggestions and the recommendation (runtime.evaluate_application),
with the models warm (loaded once, as in a worker). Batch = probabilities and contributions for
many applications at once (Scorer.score). Training = the five banks on synthetic rows, encoder
and model selection (four algorithms compared by cross-validation, the best tuned) included. Models are trained here, on the built-in generator, never downloaded.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")


def percentile_ms(samples, q):
    return round(float(np.percentile(samples, q)) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="training rows (synthetic)")
    parser.add_argument("--repeat", type=int, default=500, help="single-application scorings to time")
    parser.add_argument("--batch", type=int, default=10_000, help="applications in the batch benchmark")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from scoring.services import runtime
    from scoring.engine.config import default_bank_codes, default_derived_specs, default_feature_specs, load_yaml
    from scoring.engine.prediction import Scorer
    from scoring.engine.synthetic import generate_applications
    from scoring.engine.estimators import load_model
    from scoring.engine.training import train_all_banks
    from scoring.models import Bank, Feature

    specs = [s for s in default_feature_specs() if s.used_by_model]
    codes = default_bank_codes()
    keys = [s.key for s in specs]

    started = time.perf_counter()
    frame = generate_applications(args.rows, seed=42)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    encoder, trained = train_all_banks(frame, specs, codes, derived=default_derived_specs(), seed=42)
    training = time.perf_counter() - started

    scorer = Scorer({code: (encoder, load_model(model.to_bytes())) for code, model in trained.items()})
    loaded = runtime.LoadedModels(key=(), scorer=scorer, versions={c: None for c in codes},
                                   encoders={c: encoder for c in codes})
    # Banks and fields as configured, in memory: the benchmark measures computation, not the database.
    banks = {b["code"]: Bank(code=b["code"], name=b["name"], annual_rate=b["annual_rate"],
                             min_amount=b["min_amount"], max_amount=b["max_amount"], terms=b["terms"],
                             approval_threshold=b["approval_threshold"], rules=b.get("rules", []))
             for b in load_yaml(Path(settings.PRESCORING["CONFIG_DIR"]) / "banks.yaml")["banks"]}
    fields = [Feature(key=f["key"], label=f["label"], type=f["type"], choices=f.get("choices", []))
              for f in load_yaml(Path(settings.PRESCORING["CONFIG_DIR"]) / "features.yaml")["features"]]
    labels = {f.key: f.label for f in fields}
    choice_labels = {f.key: dict(f.choice_pairs()) for f in fields if f.type == "choice"}
    as_of = frame.attrs["as_of"]

    applications = generate_applications(max(args.repeat, args.batch), seed=7)[keys].to_dict("records")
    for record in applications[:20]:  # warm-up
        runtime.evaluate_application(record, as_of=as_of, loaded=loaded, banks=banks, labels=labels,
                                      choice_labels=choice_labels)
    samples, with_suggestions = [], 0
    for record in applications[: args.repeat]:
        t0 = time.perf_counter()
        scores, _advice = runtime.evaluate_application(record, as_of=as_of, loaded=loaded, banks=banks,
                                                        labels=labels, choice_labels=choice_labels)
        samples.append(time.perf_counter() - t0)
        with_suggestions += any(s["suggestions"] for s in scores)

    batch = applications[: args.batch]
    t0 = time.perf_counter()
    scorer.score(batch, as_of=as_of)
    batch_seconds = time.perf_counter() - t0

    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": dt.date.today().isoformat(),
        "training": {"rows": args.rows, "banks": len(codes), "generate_s": round(generated, 1),
                     "train_s": round(training, 1),
                     "algorithm": {c: m.algorithm for c, m in trained.items()},
                     "auc": {c: m.metrics["auc"] for c, m in trained.items()},
                     "oracle_auc": {c: m.metrics.get("oracle_auc") for c, m in trained.items()}},
        "one_application": {"n": len(samples), "p50_ms": percentile_ms(samples, 50),
                            "p95_ms": percentile_ms(samples, 95), "p99_ms": percentile_ms(samples, 99),
                            "share_with_suggestions": round(with_suggestions / len(samples), 2)},
        "batch": {"applications": len(batch), "seconds": round(batch_seconds, 2),
                  "applications_per_s": round(len(batch) / batch_seconds)},
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    t, one, b = result["training"], result["one_application"], result["batch"]
    print(f"machine: {result['machine']}")
    print(f"training: {t['rows']} rows x {t['banks']} banks in {t['train_s']} s (generator {t['generate_s']} s)")
    for code in codes:
        gap = t["oracle_auc"][code] - t["auc"][code]
        print(f"  {code}: {t['algorithm'][code]}, held-out AUC {t['auc'][code]:.3f}, "
              f"oracle {t['oracle_auc'][code]:.3f} (gap {gap:.3f})")
    print(f"one application (5 banks, explanations, offers, suggestions): p50 {one['p50_ms']} ms, "
          f"p95 {one['p95_ms']} ms, p99 {one['p99_ms']} ms over {one['n']} "
          f"({one['share_with_suggestions']:.0%} needed suggestions)")
    print(f"batch: {b['applications']} applications in {b['seconds']} s = {b['applications_per_s']} applications/s")


if __name__ == "__main__":
    main()
