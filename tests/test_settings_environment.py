"""The environment variables: one prefix (PRESCORING_*, only the connection URLs standard), read by
one helper in prescoring/settings.py, old names still honoured with a warning, all documented."""
import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SETTINGS_PY = ROOT / "prescoring" / "settings.py"
STANDARD = frozenset({"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"})
HELPER, WRAPPERS = "env", {"env_bool", "env_list"}
RENAMED = settings.ENVIRONMENT_RENAMED

# Every renamed variable: the value given and, in the settings, the expression that shows it and
# what it must be. DJANGO_REQUIRE_SECRET_KEY has no visible value: its own test is below.
CASES = {
    "DJANGO_DEBUG": ("1", "settings.DEBUG", True),
    "DJANGO_SECRET_KEY": ("k-from-the-environment", "settings.SECRET_KEY", "k-from-the-environment"),
    "DJANGO_ALLOWED_HOSTS": ("a.example, b.example", "settings.ALLOWED_HOSTS", ["a.example", "b.example"]),
    "DJANGO_CSRF_TRUSTED_ORIGINS": ("https://a.example", "settings.CSRF_TRUSTED_ORIGINS", ["https://a.example"]),
    "DJANGO_SESSION_SECONDS": ("600", "settings.SESSION_COOKIE_AGE", 600),
    "DJANGO_SECURE": ("1", "settings.SESSION_COOKIE_SECURE", True),
    "DJANGO_SSL_REDIRECT": ("0", "settings.SECURE_SSL_REDIRECT", False),
    "DJANGO_HSTS_SECONDS": ("7", "settings.SECURE_HSTS_SECONDS", 7),
    "DJANGO_HSTS_PRELOAD": ("0", "settings.SECURE_HSTS_PRELOAD", False),
    "DATABASE_CONN_MAX_AGE": ("9", "settings.DATABASES['default']['CONN_MAX_AGE']", 9),
    "TIME_ZONE": ("UTC", "settings.TIME_ZONE", "UTC"),
    "STATIC_MANIFEST": ("1", "settings.STATIC_MANIFEST", True),
    "STATIC_ROOT": ("/srv/static-test", "settings.STATIC_ROOT", "/srv/static-test"),
    "LOGIN_LOCKOUT_FAILURES": ("3", "settings.LOGIN_LOCKOUT['FAILURES']", 3),
    "LOGIN_LOCKOUT_SECONDS": ("30", "settings.LOGIN_LOCKOUT['SECONDS']", 30),
    "CELERY_VISIBILITY_TIMEOUT": ("77", "settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']", 77),
    "CELERY_UNACKED_MUTEX_EXPIRE": ("55", "settings.CELERY_BROKER_TRANSPORT_OPTIONS['unacked_mutex_expire']", 55),
    "ANALYTICS_REFRESH_SECONDS": ("120", "settings.CELERY_BEAT_SCHEDULE['analytics-refresh']['schedule']", 120.0),
    "DRIFT_EVERY_SECONDS": ("3600", "settings.CELERY_BEAT_SCHEDULE['analytics-compute-drift']['schedule']", 3600.0),
    "API_THROTTLE_RATE": ("7/minute", "settings.PRESCORING_API['THROTTLE_RATE']", "7/minute"),
    "API_BATCH_LIMIT": ("11", "settings.PRESCORING_API['BATCH_LIMIT']", 11),
    "API_WAIT_MAX_REQUESTS": ("5", "settings.PRESCORING_API['WAIT_MAX_REQUESTS']", 5),
    "WEBHOOK_TIMEOUT_SECONDS": ("2.5", "settings.PRESCORING_API['WEBHOOK_TIMEOUT_SECONDS']", 2.5),
    "WEBHOOK_MAX_RETRIES": ("2", "settings.PRESCORING_API['WEBHOOK_MAX_RETRIES']", 2),
    "WEBHOOK_RETRY_BASE_SECONDS": ("4", "settings.PRESCORING_API['WEBHOOK_RETRY_BASE_SECONDS']", 4),
    "WEBHOOK_RETRY_MAX_SECONDS": ("40", "settings.PRESCORING_API['WEBHOOK_RETRY_MAX_SECONDS']", 40),
    "LOG_FORMAT": ("json", "settings.LOGGING['handlers']['console']['formatter']", "json"),
    "LOG_LEVEL": ("WARNING", "settings.LOGGING['root']['level']", "WARNING"),
    "DEMO_PASSWORD": ("demo-from-the-environment", "settings.PRESCORING['DEMO_PASSWORD']", "demo-from-the-environment"),
}

PROBE = """
import json, sys
import django
from django.conf import settings
print(json.dumps({expression: eval(expression, {"settings": settings}) for expression in json.loads(sys.argv[1])},
                 default=str))
"""


def settings_process(variables: dict[str, str], expressions=(), *, deployment=True) -> subprocess.CompletedProcess:
    """`python -c` importing the settings with only these of the project's variables set (and, for a
    deployment, a PostgreSQL URL, which is parsed, never connected to, so that CONN_MAX_AGE is kept,
    and a secret key unless `variables` say otherwise: a deployment refuses to start without one)."""
    env = {name: value for name, value in os.environ.items()
           if not (name.startswith(("PRESCORING_", "DJANGO_")) or name in RENAMED or name in STANDARD
                   or name == "PYTHONWARNINGS")}
    env["DJANGO_SETTINGS_MODULE"] = "prescoring.settings"
    if deployment:
        env.update({"DATABASE_URL": "postgres://prescoring@db.invalid:5432/prescoring"})
        if not any(name in variables for name in ("PRESCORING_SECRET_KEY", "DJANGO_SECRET_KEY")):
            env["PRESCORING_SECRET_KEY"] = "probe-key-" + "x" * 50
    env.update({name: value for name, value in variables.items() if value is not None})
    return subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(expressions))], cwd=ROOT, env=env,
                          check=False, capture_output=True, text=True, timeout=120)


def values(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_renamed_variable_has_a_case_here():
    assert set(CASES) | {"DJANGO_REQUIRE_SECRET_KEY"} == set(RENAMED)


def test_the_new_names_arrive_without_a_warning():
    result = settings_process({RENAMED[old]: given for old, (given, _, _) in CASES.items()},
                              [expression for _, expression, _ in CASES.values()])
    got = values(result)
    for old, (_, expression, expected) in CASES.items():
        assert got[expression] == expected, f"{RENAMED[old]}: {expression} is {got[expression]!r}"
    assert "deprecated" not in result.stderr


def test_an_old_name_is_still_honoured_and_warns_once():
    result = settings_process({old: given for old, (given, _, _) in CASES.items()},
                              [expression for _, expression, _ in CASES.values()])
    got = values(result)
    for old, (_, expression, expected) in CASES.items():
        assert got[expression] == expected, f"{old}: {expression} is {got[expression]!r}"
        assert result.stderr.count(f"{old} is deprecated, use {RENAMED[old]}") == 1, result.stderr


def test_the_new_name_wins_and_the_old_one_is_reported_ignored():
    result = settings_process({"API_THROTTLE_RATE": "1/minute", "PRESCORING_API_THROTTLE_RATE": "2/minute"},
                              ["settings.PRESCORING_API['THROTTLE_RATE']"])
    assert values(result) == {"settings.PRESCORING_API['THROTTLE_RATE']": "2/minute"}
    assert result.stderr.count("API_THROTTLE_RATE is deprecated, use PRESCORING_API_THROTTLE_RATE "
                               "(API_THROTTLE_RATE is ignored") == 1, result.stderr


@pytest.mark.parametrize("require", ["DJANGO_REQUIRE_SECRET_KEY", "PRESCORING_REQUIRE_SECRET_KEY"])
def test_production_still_refuses_to_start_without_a_key_under_either_name(require):
    result = settings_process({require: "1"}, ["settings.SECRET_KEY"], deployment=False)
    assert result.returncode != 0
    assert "PRESCORING_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("deployment_variable", [
    {"DATABASE_URL": "postgres://prescoring@db.invalid:5432/prescoring"},
    {"CELERY_BROKER_URL": "redis://broker.invalid:6379/0"},
])
def test_a_deployment_without_a_key_refuses_to_start(deployment_variable):
    """No silent public key: a process with a database or broker URL is a deployment (issue 16)."""
    result = settings_process({**deployment_variable, "PRESCORING_DEBUG": "0"}, ["settings.SECRET_KEY"],
                              deployment=False)
    assert result.returncode != 0
    assert "PRESCORING_SECRET_KEY must be set in production" in result.stderr


def test_the_embedded_default_and_debug_start_without_a_key():
    for variables in ({}, {"DATABASE_URL": "sqlite:////tmp/elsewhere.sqlite3"}):  # SQLite anywhere: still local
        embedded = settings_process(variables, ["settings.SECRET_KEY", "settings.EMBEDDED_DEFAULT"],
                                    deployment=False)
        assert values(embedded)["settings.EMBEDDED_DEFAULT"] is True
        assert values(embedded)["settings.SECRET_KEY"].startswith("insecure-local")
    debug = settings_process({"DATABASE_URL": "postgres://prescoring@db.invalid:5432/prescoring",
                              "PRESCORING_DEBUG": "1"}, ["settings.SECRET_KEY"], deployment=False)
    assert values(debug)["settings.SECRET_KEY"].startswith("insecure-local")


# --- the source: every read goes through env() with an allowed name --------------------------------

def _settings_tree() -> ast.Module:
    return ast.parse(SETTINGS_PY.read_text(encoding="utf-8"), filename=str(SETTINGS_PY))


def _enclosing_functions(tree: ast.Module) -> dict[int, ast.FunctionDef]:
    """id(node) -> the module-level function it is in."""
    inside = {}
    for function in tree.body:
        if isinstance(function, ast.FunctionDef):
            for node in ast.walk(function):
                inside[id(node)] = function
    return inside


def _reads_the_environment(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
            and node.attr in {"environ", "environb", "getenv", "getenvb"})


def names_read_by_the_settings() -> set[str]:
    """Every variable named in a call of env(), env_bool() or env_list() in prescoring/settings.py,
    after checking that no other code there touches the environment."""
    tree = _settings_tree()
    inside = _enclosing_functions(tree)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            pytest.fail(f"line {node.lineno}: `from os import …`; read variables with {HELPER}()")
        if _reads_the_environment(node):
            function = inside.get(id(node))
            assert function is not None and function.name == HELPER, (
                f"line {node.lineno}: os.{node.attr} outside {HELPER}()")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "dj_database_url"):
            assert node.func.attr != "config", f"line {node.lineno}: dj_database_url.config() reads DATABASE_URL itself"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {HELPER, *WRAPPERS}:
            function = inside.get(id(node))
            first = node.args[0] if node.args else None
            if function is not None and function.name in WRAPPERS:  # env_bool(name) -> env(name)
                assert isinstance(first, ast.Name) and first.id == function.args.args[0].arg, node.lineno
                continue
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"line {node.lineno}: {node.func.id}() with a name that is not a literal")
            names.add(first.value)
    return names


def test_every_environment_read_in_the_settings_goes_through_the_helper_with_an_allowed_name():
    names = names_read_by_the_settings()
    assert STANDARD <= names
    wrong = sorted(name for name in names if not name.startswith("PRESCORING_") and name not in STANDARD)
    assert wrong == [], f"not PRESCORING_* nor a standard connection URL: {wrong}"
    assert settings.ENVIRONMENT_STANDARD_NAMES == STANDARD


def test_the_renamed_table_maps_old_names_to_names_the_settings_read():
    names = names_read_by_the_settings()
    for old, new in RENAMED.items():
        assert not old.startswith("PRESCORING_") and old not in STANDARD, old
        assert new in names, f"{old} is renamed to {new}, which the settings never read"
    assert len(set(RENAMED.values())) == len(RENAMED)


def test_nothing_else_in_the_project_reads_the_environment():
    allowed = 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")'
    for path in [*ROOT.glob("prescoring/*.py"), *ROOT.glob("scoring/**/*.py")]:
        if path == SETTINGS_PY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        # Django's own variable, set by manage.py, wsgi.py, asgi.py and celery.py.
        djangos = {id(node.func.value) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and ast.unparse(node).replace("'", '"') == allowed}
        for node in ast.walk(tree):
            assert not _reads_the_environment(node) or id(node) in djangos, (
                f"{path.relative_to(ROOT)}:{node.lineno}: read variables in prescoring/settings.py")


# --- the documentation and the deployment files -----------------------------------------------------

def _deploy_tables() -> tuple[set[str], dict[str, str]]:
    """docs/deploy.md, "Environment variables": the variables of the 3-column tables and the
    old -> new rows of the renamed table."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8").split("\n## Environment variables\n", 1)[1]
    variables, renamed = set(), {}
    for line in text.split("\n## ", 1)[0].splitlines():
        match = re.match(r"\| `(\w+)` \| (.+?) \|(?: (.+) \|)?$", line)
        if match and match.group(3) is None:
            renamed[match.group(1)] = match.group(2).strip("`")
        elif match:
            variables.add(match.group(1))
    return variables, renamed


def test_deploy_md_lists_every_variable_and_every_renamed_one():
    variables, renamed = _deploy_tables()
    assert variables == names_read_by_the_settings()
    assert renamed == RENAMED


def test_the_deployment_files_use_only_the_new_names():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    names = set(compose["x-app"]["environment"])
    names |= {line.lstrip("# ").split("=", 1)[0] for line in (ROOT / ".env.example").read_text(encoding="utf-8")
              .splitlines() if re.match(r"#? ?[A-Z_]+=", line)}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    for line in re.findall(r"^ENV (.+)$", dockerfile, re.MULTILINE):
        names |= set(re.findall(r"(\w+)=", line))
    tools = {"POSTGRES_PASSWORD", "WEB_PORT", "DJANGO_SETTINGS_MODULE", "PATH", "PYTHONDONTWRITEBYTECODE",
             "PYTHONUNBUFFERED", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}
    read = names_read_by_the_settings()
    assert sorted(names & set(RENAMED)) == []
    assert sorted(name for name in names - tools if name not in read) == []
