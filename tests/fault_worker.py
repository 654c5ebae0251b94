"""A real Celery worker for the fault tests; with PRESCORING_PAUSE_DIR set, each scoring announces
itself there (a file started-<application id>) and waits until a file named `release` appears, so a
test can kill the worker at a known point in the middle of scoring."""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")

import django  # noqa: E402

django.setup()

from prescoring.celery import app  # noqa: E402

PAUSE_DIR = os.environ.get("PRESCORING_PAUSE_DIR")
if PAUSE_DIR:
    from scoring.services import runtime

    evaluate = runtime.evaluate_application

    def paused_evaluate(answers, **kwargs):
        pause = Path(PAUSE_DIR)
        (pause / f"started-{os.getpid()}").write_text("scoring")
        deadline = time.monotonic() + 120
        while not (pause / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return evaluate(answers, **kwargs)

    runtime.evaluate_application = paused_evaluate

if __name__ == "__main__":
    app.worker_main(sys.argv[1:])
