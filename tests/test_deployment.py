"""The Dockerfile and docker-compose.yml agree with the settings (no Docker engine needed)."""
import functools
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import resolve

from tests.helpers import settings_with

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
ENV_EXAMPLE = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
                   if line and not line.startswith("#"))


def service_environment(service: str) -> dict[str, str]:
    """What the service's container gets: .env (here .env.example) and compose's environment, with
    ${NAME...} filled in from .env as compose does."""
    def filled(value) -> str:
        return re.sub(r"\$\{(\w+)[^}]*\}", lambda m: ENV_EXAMPLE.get(m.group(1), ""), str(value))
    environment = COMPOSE["services"][service]["environment"]
    return {**ENV_EXAMPLE, **{name: filled(value) for name, value in environment.items()}}


@functools.cache
def variables_read(environment: frozenset) -> frozenset:
    """The variables prescoring/settings.py looks up when a fresh process imports it in this environment,
    and in the same without the secret key (where production settings refuse to start)."""
    with_key = dict(environment)
    without_key = {name: value for name, value in with_key.items() if name != "PRESCORING_SECRET_KEY"}
    return frozenset(settings_with(with_key)["read"]) | frozenset(settings_with(without_key)["read"])


def settings_reads(name: str, service: str = "web") -> bool:
    return name in variables_read(frozenset(service_environment(service).items()))


def test_compose_runs_web_worker_beat_database_and_broker():
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(COMPOSE["services"])
    assert "pgdata:/var/lib/postgresql/data" in COMPOSE["services"]["db"]["volumes"]
    for name in ("worker", "beat", "db", "redis"):
        assert COMPOSE["services"][name]["healthcheck"]["test"], name
    assert "celery" in COMPOSE["services"]["beat"]["command"] and "beat" in COMPOSE["services"]["beat"]["command"]


def test_every_variable_compose_passes_to_the_app_is_read_by_the_settings():
    for service in ("web", "worker", "beat", "migrate"):
        for name in COMPOSE["services"][service]["environment"]:
            assert settings_reads(name, service), f"compose sets {name} for {service}, but the settings never read it"


def test_the_example_env_file_sets_what_compose_and_production_settings_require():
    compose_text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name in set(re.findall(r"\$\{(\w+)(?::?[-?])", compose_text)) - {"WEB_PORT"}:
        assert name in ENV_EXAMPLE, f"{name} is used by docker-compose.yml but missing from .env.example"
    assert "PRESCORING_SECRET_KEY" in ENV_EXAMPLE and settings_reads("PRESCORING_SECRET_KEY")
    for name in ENV_EXAMPLE:
        assert settings_reads(name) or name == "POSTGRES_PASSWORD", f".env.example sets {name}, unread"


def test_the_image_is_multi_stage_non_root_with_static_files_and_gunicorn():
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) >= 2
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "collectstatic" in DOCKERFILE and "gunicorn" in DOCKERFILE and "HEALTHCHECK" in DOCKERFILE


@pytest.mark.parametrize("url", sorted(set(re.findall(r"http://127\.0\.0\.1:8000(/[\w/.-]*)", DOCKERFILE))))
def test_the_healthcheck_urls_exist_and_are_public(url, client, db):
    assert resolve(url)
    assert client.get(url).status_code in (200, 503)  # answered, not a login redirect


def test_the_published_port_is_the_one_gunicorn_binds():
    bind = re.search(r'"--bind", "0\.0\.0\.0:(\d+)"', DOCKERFILE).group(1)
    assert any(str(p).endswith(f":{bind}") for p in COMPOSE["services"]["web"]["ports"])
