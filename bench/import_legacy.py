"""Importing a legacy history: how much of a messy lender's export the import keeps, and whether its
report lists every odd row.

    .venv/bin/python bench/import_legacy.py [--rows 6000] [--seed 14] [--share 0.08] [--json]

Works in a throw-away SQLite database and configuration directory of its own (a temporary
directory; never the development db.sqlite3): migrates, copies configs/ with import.yaml's
`decision_date_column: DecisionDate`, loads it, writes a legacy export with
`manage.py generate_training_data --messy` (NULL markers, decision days in three formats,
implausible rows, unknown categories and decision words, rows without a usable decision;
scoring/engine/messy.py), imports it with `manage.py import_applications --report FILE`, and prints:
the rows the banks decided on (at least one success or denied in the generated frame), the rows
imported, their share (target ≥ 99 %), the rows flagged, the rows skipped, and whether the report
lists every flagged row (each row the generator made odd, except those without a usable decision,
must be in it). Exit status 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SHARE = 0.99
DATE_COLUMN = "DecisionDate"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--share", type=float, default=0.08, help="the share of rows made odd")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="import-legacy-"))
    try:
        figures = run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:<34} {value}")
    ok = figures["share imported"] >= TARGET_SHARE and figures["report lists every flagged row"]
    return 0 if ok else 1


def run(work: Path, args) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("PRESCORING_SECRET_KEY", "bench-import-legacy-" + "x" * 40)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")
    import django

    django.setup()
    import yaml
    from django.conf import settings
    from django.core.management import call_command

    from scoring.engine.messy import MESS
    from scoring.models import HistoricalApplication

    config_dir = work / "configs"
    shutil.copytree(ROOT / "configs", config_dir)
    mapping = yaml.safe_load((config_dir / "import.yaml").read_text(encoding="utf-8"))
    mapping["decision_date_column"] = DATE_COLUMN
    (config_dir / "import.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    settings.PRESCORING["CONFIG_DIR"] = config_dir
    quiet = io.StringIO()
    call_command("migrate", verbosity=0, stdout=quiet)
    call_command("load_config", config_dir=str(config_dir), stdout=quiet)

    path, report_path = work / "legacy.csv", work / "report.csv"
    call_command("generate_training_data", rows=args.rows, seed=args.seed, messy=True, messy_share=args.share,
                 out=str(path), stdout=quiet)
    generated = _generated_frame(args)
    banks = [c[: -len("_decision")] for c in generated.columns if c.endswith("_decision")]
    decided = generated[[f"{code}_decision" for code in banks]].isin(["success", "denied"]).any(axis=1)

    started = time.perf_counter()
    out = io.StringIO()
    call_command("import_applications", str(path), report=str(report_path), stdout=out)
    seconds = time.perf_counter() - started

    imported = HistoricalApplication.objects.count()
    flagged_rows = set(HistoricalApplication.objects.exclude(flags={}).values_list("row_number", flat=True))
    with open(report_path, encoding="utf-8", newline="") as fh:
        listed = list(csv.DictReader(fh, delimiter=";"))
    listed_flagged = {int(line["row"]) for line in listed if line["status"] == "flagged"}
    listed_skipped = {int(line["row"]) for line in listed if line["status"] == "skipped"}
    odd_rows = {i + 2 for i in range(len(generated)) if generated[MESS].iat[i] and decided.iat[i]}
    return {
        "rows in the file": len(generated),
        "rows made odd by the generator": int((generated[MESS] != "").sum()),
        "share made odd": round(float((generated[MESS] != "").mean()), 4),
        "decided rows": int(decided.sum()),
        "imported": imported,
        "share imported": round(imported / int(decided.sum()), 4),
        "flagged rows": len(flagged_rows),
        "skipped rows": len(listed_skipped),
        "report lists every flagged row": flagged_rows == listed_flagged and odd_rows <= listed_flagged,
        "import seconds": round(seconds, 2),
    }


def _generated_frame(args):
    """The frame generate_training_data --messy wrote (the same seed gives the same rows), with MESS."""
    from django.utils import timezone

    from scoring.engine.messy import messy_history
    from scoring.engine.synthetic import generate_applications
    from scoring.models import Bank

    codes = list(Bank.objects.filter(active=True).exclude(csv_decision_column="").order_by("code")
                 .values_list("code", flat=True))
    frame = generate_applications(args.rows, seed=args.seed, bank_codes=codes, as_of=timezone.localdate())
    return messy_history(frame, seed=args.seed, as_of=timezone.localdate(), share=args.share,
                         decision_date_column=DATE_COLUMN, bank_codes=codes)


if __name__ == "__main__":
    sys.exit(main())
