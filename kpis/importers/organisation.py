"""The CRM teams file: who sells in whose team in which region (see the package's docstring)."""

from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Region, Role, Team, User
from salesplan.csvimport import CREATED, Column, ImportSpec, RowForm

from .base import TWICE, by_lower_name, crm_email, first_row_check, grouped, lower_values


def team_name(manager: str) -> str:
    """The team a CRM manager leads (data, not translated)."""
    return f"{manager} team"


@dataclass
class CrmOrganisation:
    """What a teams file says: each sales agent's manager and each manager's regional office, by lower-case
    name. Reading the file saves nothing; `save` does, in the pipeline import's transaction."""

    agents: dict[str, str] = field(default_factory=dict)  # lower agent name → name as written
    agent_manager: dict[str, str] = field(default_factory=dict)  # lower agent name → lower manager name
    managers: dict[str, str] = field(default_factory=dict)  # lower manager name → name as written
    manager_region: dict[str, str] = field(default_factory=dict)  # lower manager name → region name

    def save(self, tally: Counter) -> dict[str, User]:
        """Create or match the regions, teams, leaders and agents; return the agents by lower name.
        A dozen queries whatever the size of the organisation."""
        regions = by_lower_name(
            Region.objects.all(), "name", sorted({r.lower() for r in self.manager_region.values()})
        )
        for name in sorted(set(self.manager_region.values()), key=str.lower):
            if name.lower() not in regions:
                regions[name.lower()] = Region.objects.create(name=name)
                tally["regions"] += 1
        names = {**self.agents, **self.managers}
        people = by_lower_name(User.objects.all(), "email", sorted(crm_email(n) for n in names.values()))
        missing = [
            User(email=crm_email(name), display_name=name, password=make_password(None))
            for name in names.values()
            if crm_email(name) not in people
        ]
        User.objects.bulk_create(missing)
        new = {user.pk for user in missing}
        tally["people"] += len(missing)
        people.update((user.email, user) for user in missing)
        by_name = {key: people[crm_email(name)] for key, name in names.items()}

        teams = {}
        existing = {
            (t.region_id, t.name.lower()): t for t in Team.objects.filter(region__in=regions.values())
        }
        for key, manager in self.managers.items():
            region = regions[self.manager_region[key].lower()]
            team = existing.get((region.pk, team_name(manager).lower()))
            if team is None:
                team = Team.objects.create(name=team_name(manager), region=region, leader=by_name[key])
                tally["teams"] += 1
            elif team.leader_id != by_name[key].pk:
                team.leader = by_name[key]
                team.save(update_fields=["leader"])
                tally["teams_changed"] += 1
            teams[key] = team
        moved = []
        for key in self.agents:
            agent, team = by_name[key], teams[self.agent_manager[key]]
            if agent.team_id != team.pk:
                agent.team = team
                moved.append(agent)
        User.objects.bulk_update(moved, ["team"])
        tally["people_moved"] += sum(1 for user in moved if user.pk not in new)
        return {key: by_name[key] for key in self.agents}


class TeamRowForm(RowForm):
    sales_agent = forms.CharField(max_length=150)
    manager = forms.CharField(max_length=150)
    regional_office = forms.CharField(max_length=100)

    def _person(self, column: str) -> str:
        name = self.cleaned_data[column]
        try:
            validate_email(crm_email(name))
        except ValidationError:
            raise forms.ValidationError(
                _("No e-mail address can be made from “%(name)s”: use letters, spaces, hyphens and dots.")
                % {"name": name}
            ) from None
        return name

    def clean_sales_agent(self) -> str:
        return self._person("sales_agent")

    def clean_manager(self) -> str:
        return self._person("manager")


class TeamImport(ImportSpec):
    """Reads a teams file into a `CrmOrganisation` (saving nothing: see `CrmOrganisation.save`)."""

    form_class = TeamRowForm
    columns = (
        Column(
            "sales_agent",
            True,
            gettext_lazy("A sales agent's full name: a relationship manager."),
            "Anna Snelling",
        ),
        Column(
            "manager", True, gettext_lazy("Their manager's full name: the team's leader."), "Dustin Brinkmann"
        ),
        Column("regional_office", True, gettext_lazy("The manager's region."), "Central"),
    )

    @classmethod
    def counted(cls, count: int) -> str:
        return ngettext("%(count)s sales agent", "%(count)s sales agents", count) % {"count": grouped(count)}

    def __init__(self, *, by: User, organisation: CrmOrganisation) -> None:
        super().__init__(by=by)
        self.organisation = organisation
        self.manager_names: set[str] = set()
        self.placed: dict[str, str] = {}  # e-mail of someone already leading or directing → their role
        self.emails: dict[str, str] = {}  # e-mail → lower name that gave it

    def prepare(self, rows: list[dict[str, str]]) -> None:
        self.manager_names = set(lower_values(rows, "manager"))
        emails = sorted({crm_email(row["sales_agent"]) for row in rows if row.get("sales_agent")})
        users = User.objects.with_roles()
        for email, user in by_lower_name(users, "email", emails).items():
            if user.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
                self.placed[email] = user.role_label

    def check(self, form: TeamRowForm, *, row: int) -> None:
        data = form.cleaned_data
        agent, manager, region = data.get("sales_agent"), data.get("manager"), data.get("regional_office")
        if agent:
            key = agent.lower()
            first_row_check(self.seen, key, row, form, "sales_agent", TWICE)
            if key in self.manager_names:
                form.add_error(
                    "sales_agent", _("“%(name)s” is also a manager in this file.") % {"name": agent}
                )
            email = crm_email(agent)
            if email in self.placed:
                form.add_error(
                    "sales_agent",
                    _("%(email)s is already a %(role)s: a sales agent must be a relationship manager.")
                    % {"email": email, "role": self.placed[email].lower()},
                )
        for name in (agent, manager):
            if name and self.emails.setdefault(crm_email(name), name.lower()) != name.lower():
                form.add_error(
                    "sales_agent" if name == agent else "manager",
                    _("“%(name)s” gives the same e-mail address as another person of the file, %(email)s.")
                    % {"name": name, "email": crm_email(name)},
                )
        if manager and region:
            first = self.organisation.manager_region.setdefault(manager.lower(), region)
            if first.lower() != region.lower():
                form.add_error(
                    "regional_office",
                    _("%(manager)s's team is in %(region)s on an earlier row: a team is in one region.")
                    % {"manager": manager, "region": first},
                )

    def save(self, form: TeamRowForm) -> str:
        """Note the row in the organisation; nothing is written to the database here."""
        data = form.cleaned_data
        agent, manager = data["sales_agent"], data["manager"]
        self.organisation.agents[agent.lower()] = agent
        self.organisation.agent_manager[agent.lower()] = manager.lower()
        self.organisation.managers.setdefault(manager.lower(), manager)
        return CREATED
