"""Roles: who may do what. Three groups, made by a data migration, carry the permissions.

Views and the API ask these functions (never group names) so that a superuser or a user given a
permission directly is treated the same way as a member of the group.

One access check per front door, built on the predicates below:
- pages and the admin's own pages: the view decorator permission_required(predicate);
- the API: the DRF permission class api_permission(predicate), given to @permission_classes.
"""
from functools import wraps

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated

OFFICER = "Кредитный специалист"
ANALYST = "Аналитик"
ADMINISTRATOR = "Администратор"

# Custom permissions declared on Application.Meta.permissions.
VIEW_ALL_APPLICATIONS = "scoring.view_all_applications"
VIEW_PERSONAL_DATA = "scoring.view_personal_data"
VIEW_ANALYTICS = "scoring.view_analytics"
SUBMIT_APPLICATIONS = "scoring.add_application"
MANAGE_MODELS = "scoring.change_modelversion"
IMPORT_HISTORY = "scoring.add_importbatch"
# Declared on Client.Meta.permissions: erase a client's name and phone everywhere (scoring/services/erasure.py).
ERASE_CLIENTS = "scoring.erase_client"

# Model names (app "scoring") whose add/change/delete/view permissions administrators get.
ADMINISTERED_MODELS = ("bank", "feature", "modelversion", "importbatch", "historicalapplication", "apiclient",
                       "apitoken", "webhookdelivery")

GROUP_PERMISSIONS = {
    OFFICER: ["add_application", "view_personal_data"],
    ANALYST: ["view_all_applications", "view_analytics"],
    ADMINISTRATOR: ["add_application", "view_all_applications", "view_personal_data", "view_analytics"]
    + [f"{action}_{model}" for model in ADMINISTERED_MODELS for action in ("add", "change", "delete", "view")]
    + ["view_auditentry", "add_trainingrun", "view_trainingrun"]
    + ["view_client", "erase_client"],  # find a client and erase them on request (migration 0015)
}


def can_submit(user) -> bool:
    return user.has_perm(SUBMIT_APPLICATIONS)


def can_see_all_applications(user) -> bool:
    return user.has_perm(VIEW_ALL_APPLICATIONS)


def sees_personal_data(user) -> bool:
    """Officers see their own clients' names and phones; analysts see them masked."""
    return user.has_perm(VIEW_PERSONAL_DATA)


def can_see_analytics(user) -> bool:
    return user.has_perm(VIEW_ANALYTICS)


def can_manage_models(user) -> bool:
    return user.has_perm(MANAGE_MODELS)


def can_erase_clients(user) -> bool:
    """Erase a client's personal data on the person's request (the admin's action)."""
    return user.has_perm(ERASE_CLIENTS)


def can_import_history(user) -> bool:
    """Upload a lender's historical decisions (training data) in the admin."""
    return user.has_perm(IMPORT_HISTORY)


def permission_required(predicate):
    """View decorator: 403 for a signed-in user unless predicate(request.user).

    Anonymous visitors pass on, so that what guards the view for them sends them to sign in: use it
    under login_required on a page, and around admin_site.admin_view(...) on an admin page.
    """
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.is_authenticated and not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


def api_permission(predicate, *, message=None, methods=None):
    """DRF permission class for @permission_classes: signed in (401 otherwise, as IsAuthenticated) and
    predicate(request.user) (403 with `message` otherwise, in the API's error shape).

    methods: check the predicate only for these HTTP methods (e.g. ("POST",): anyone signed in may
    read, only some may write); the others are left to the view (405 for a method it has not).
    """
    checked = None if methods is None else frozenset(method.upper() for method in methods)

    class RolePermission(IsAuthenticated):
        def has_permission(self, request, view):
            if not super().has_permission(request, view):
                return False
            return (checked is not None and request.method not in checked) or bool(predicate(request.user))

    RolePermission.__name__ = RolePermission.__qualname__ = f"{predicate.__name__}_permission"
    if message is not None:
        RolePermission.message = message
    return RolePermission


def ensure_groups() -> None:
    """Create the three groups with their permissions if they are missing (migration 0004 makes them;
    a test database flushed by a transactional test loses them)."""
    from django.contrib.auth.models import Group, Permission

    for name, codenames in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="scoring", codename__in=codenames))
