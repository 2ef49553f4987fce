"""The home page: a role-aware summary drawn from every app (so it lives at the project level, above the
apps' one-way dependencies)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts import selectors as org
from accounts.models import Role
from coaching.models import Notification, Plan
from coaching.selectors.checkpoints import cadence_health, upcoming_for
from coaching.selectors.plans import plan_disconnects, review_board
from kpis import selectors as kpi
from kpis.models import Metric

KEY_METRICS = ("loans", "dda", "won-revenue", "new-clients", "conversations", "hv-retention")


class HomeView(View):
    """RM: their week (meetings, plan, numbers); leader: their teams, plans to review and cadence health;
    director: their region's teams and cadence by leader; admin: the organisation."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        role = user.role
        now = timezone.now()
        today = timezone.localdate()
        context = {"role": role, "today": today}
        if role in (Role.RM, Role.LEADER, Role.DIRECTOR):
            context["upcoming"] = list(upcoming_for(viewer=user, now=now, limit=5))
            context["unread"] = Notification.objects.filter(user=user, read_at__isnull=True).count()
        if role == Role.ADMIN:
            context["counts"] = org.organisation_counts()
            context["regions"] = org.regions_summary(viewer=user)
            context["unplaced"] = org.users_without_place()[:10]
            context["health"] = cadence_health(viewer=user, by="region", now=now)
        elif role == Role.DIRECTOR:
            context["regions"] = org.regions_summary(viewer=user)
            context["health"] = cadence_health(viewer=user, by="leader", now=now)
        elif role == Role.LEADER:
            context["teams"] = org.teams_with_members(viewer=user)
            board = review_board(viewer=user, year=today.year, today=today)
            context["board"] = [(status, len(rows)) for status, rows in board.items()]
            context["to_review"] = board["submitted"]
            context["health"] = cadence_health(viewer=user, by="rm", now=now)
        elif role == Role.RM:
            context["teams"] = org.teams_with_members(viewer=user)
            plan = (
                Plan.objects.filter(owner=user, year=today.year)
                .prefetch_related("planned_mix")
                .select_related("owner__team__targeting")
                .first()
            )
            context["plan"] = plan
            context["findings"] = plan_disconnects(plans=[plan], today=today).get(plan.pk, []) if plan else []
            year, month = kpi.latest_closed_month(today)
            active = Metric.objects.filter(code__in=KEY_METRICS, is_active=True)
            metrics = list(active.select_related("forecast_metric"))
            context["numbers"] = kpi.plan_vs_actual(
                scope="rm", year=year, month=month, viewer=user, metrics=metrics, owner_ids=[user.pk]
            )
            context["numbers_month"] = (year, month)
        return render(request, "home.html", context)


class FloorView(TemplateView):
    """The base layout and nothing else (no queries beyond the session and the user): the load test's
    baseline, against which every page's time is compared."""

    template_name = "floor.html"
