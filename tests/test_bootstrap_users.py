"""Demo users: only on the embedded default, with a valid password, never resetting a user (issue 16, finding 4)."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from scoring.modelops.management.commands.bootstrap import Command
from tests.helpers import run_command


def create_demo_users(settings, password=None):
    settings.PRESCORING = {**settings.PRESCORING, "DEMO_PASSWORD": password}
    command = Command()
    command.create_demo_users()


@pytest.mark.parametrize("weak", ["1", "password", "12345678"])
def test_a_weak_demo_password_is_refused(configured, settings, weak):
    with pytest.raises(CommandError, match="too weak"):
        create_demo_users(settings, weak)
    assert not get_user_model().objects.filter(username="admin").exists()


def test_an_existing_user_is_never_reset(configured, settings, django_user_model):
    admin = django_user_model.objects.create_user(username="admin", password="the-real-admins-pass-42")
    create_demo_users(settings, "a-long-demo-password-77")
    admin.refresh_from_db()
    assert admin.check_password("the-real-admins-pass-42") and not admin.is_superuser
    officer = django_user_model.objects.get(username="officer")
    assert officer.check_password("a-long-demo-password-77")


def test_a_deployment_gets_no_demo_users_unless_asked(db, settings, django_user_model):
    settings.EMBEDDED_DEFAULT = False
    settings.PRESCORING = {**settings.PRESCORING, "DEMO_PASSWORD": "a-long-demo-password-77"}
    output = run_command("bootstrap", "--no-train")
    assert not django_user_model.objects.filter(username__in=["officer", "analyst", "admin"]).exists()
    assert "no demo users" in output
    run_command("bootstrap", "--no-train", "--demo-users")
    assert set(django_user_model.objects.values_list("username", flat=True)) >= {"officer", "analyst", "admin"}
