"""Pages of the accounts app: home, profile, people directory, team page, language switch."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from salesplan.paging import paginate

from . import selectors, services
from .forms import EmailAuthenticationForm, PeopleFilter, ProfileForm
from .models import Role


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class ProfileView(View):
    """A person's own profile: view and change display name, language and time zone."""

    template_name = "accounts/profile.html"

    def _initial(self, user):
        return {"display_name": user.display_name, "language": user.language, "time_zone": user.time_zone}

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ProfileForm(initial=self._initial(request.user))
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProfileForm(request.POST, initial=self._initial(request.user))
        if form.is_valid():
            services.profile_update(user=request.user, **form.cleaned_data)
            response = redirect("accounts:profile")
            response.set_cookie(
                "django_language", form.cleaned_data["language"], samesite="Lax", secure=request.is_secure()
            )
            messages.success(request, _("Your profile has been saved."))
            return response
        return render(request, self.template_name, {"form": form}, status=400)


class PersonListView(View):
    """The people the viewer may see, with search, filters, sorting and pagination."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = request.user
        people = selectors.people_list(viewer=viewer)
        filterset = PeopleFilter(
            request.GET, queryset=people, teams=selectors.teams_visible_to(viewer=viewer)
        )
        qs = filterset.qs if filterset.is_valid() else people.none()
        if not request.GET.get("ordering"):
            qs = qs.order_by("display_name", "pk")
        page, query = paginate(request, qs)
        return render(
            request,
            "accounts/person_list.html",
            {"filter": filterset, "page_obj": page, "query": query},
        )


class PersonDetailView(View):
    """One person's place in the organisation; 404 for anyone the viewer may not see."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = selectors.people_list(viewer=request.user).filter(pk=pk).first()
        if person is None:
            raise Http404
        led_teams = selectors.teams_with_members(viewer=request.user).filter(leader=person)
        return render(request, "accounts/person_detail.html", {"person": person, "led_teams": led_teams})


class TeamDetailView(View):
    """A team with its leader and members, for the people who manage it; 404 for anyone else."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        team = None
        if request.user.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
            team = selectors.teams_with_members(viewer=request.user).filter(pk=pk).first()
        if team is None:
            raise Http404
        return render(request, "accounts/team_detail.html", {"team": team})


@login_not_required
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch language for this browser, and remember it on the profile of a logged-in person."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.language_set(user=request.user, language=language)
    return set_language(request)
