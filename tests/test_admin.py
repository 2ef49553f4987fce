"""Every model of ours has an admin page, and each admin list and add page opens for an administrator."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import all_factories

OUR_APPS = ("accounts", "targeting", "kpis", "coaching")
# Historical models of django-simple-history are shown through their model's "History" page instead.
OUR_MODELS = [
    m
    for m in apps.get_models()
    if m._meta.app_label in OUR_APPS and not any(f.name == "history_id" for f in m._meta.fields)
]


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_every_model_is_registered_in_the_admin_and_has_a_factory(model):
    assert admin.site.is_registered(model)
    assert model in all_factories(), f"no factory for {model._meta.label}"


@pytest.mark.django_db
@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_admin_pages_open(admin_client, org, model):
    opts = model._meta
    assert (
        admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    )
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    obj = model.objects.first() or all_factories()[model]()
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.get(url).status_code == 200


@pytest.mark.django_db
def test_admin_invitation_action_queues_one_email_per_person(
    admin_client, org, mailoutbox, django_capture_on_commit_callbacks
):
    from salesplan.celery import app

    app.conf.task_always_eager = True  # a unit test of the task body; the real worker is tested elsewhere
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:accounts_user_changelist"),
                {"action": "send_invitation", "_selected_action": [org.rm_a1.pk, org.rm_b1.pk]},
                follow=True,
            )
    finally:
        app.conf.task_always_eager = False
    assert "Invitations will be e-mailed to 2 people." in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([org.rm_a1.email, org.rm_b1.email])
