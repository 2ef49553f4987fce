"""Pages of accounts and their contacts: list, export, detail, create/edit/delete, owner and tier changes."""

from copy import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from salesplan.csvio import csv_response
from salesplan.paging import paginate

from .. import selectors, services
from ..filters import AccountFilter
from ..forms.accounts import (
    AccountForm,
    AccountReassignForm,
    AccountTierForm,
    ContactForm,
    add_service_errors,
)
from ..models import Account, Contact, ContactLevel

EXPORT_HEADER = [
    "legal_name", "industry", "annual_revenue", "currency", "employees", "location", "owner_email",
    "status", "tier", "tier_overridden", "is_high_value", "must_keep", "must_expand", "playing_field",
    "ready_to_call",
]  # fmt: skip


def _visible_account(request: HttpRequest, pk: int) -> Account:
    account = selectors.accounts_visible_to(viewer=request.user).filter(pk=pk).first()
    if account is None:
        raise Http404
    return account


def _filtered_accounts(request: HttpRequest):
    accounts = selectors.account_list(viewer=request.user)
    filterset = AccountFilter(request.GET, queryset=accounts, viewer=request.user)
    qs = filterset.qs if filterset.is_valid() else accounts.none()
    if not request.GET.get("ordering"):
        # By name as people read it ("acme" beside "Acme"), which the unique index on the lower-case name
        # serves: the first page of a bank's 60,000 accounts is read from it, not sorted out of them all.
        qs = qs.order_by(Lower("legal_name"), "pk")
    return filterset, qs


def _suggestion_label(account: Account) -> str:
    return str(ContactLevel(selectors.suggested_contact_level(account).level).label)


class AccountListView(View):
    """The accounts the viewer may see, with filters, sorting, pagination and each prospect's readiness."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, qs = _filtered_accounts(request)
        page, query = paginate(request, qs)
        for account in page.object_list:
            account.checklist = selectors.checklist_from_annotations(account)
        return render(
            request,
            "targeting/account_list.html",
            {"filter": filterset, "page_obj": page, "query": query},
        )


class AccountExportView(View):
    """The filtered account list as CSV, streamed."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _filterset, qs = _filtered_accounts(request)

        def rows():
            for a in qs.iterator(chunk_size=500):
                yield [
                    a.legal_name, a.industry.name if a.industry else "", a.annual_revenue, a.currency,
                    a.employees, a.location, a.owner.email, a.status, a.tier, a.tier_is_overridden,
                    a.is_high_value, a.must_keep, a.must_expand, a.playing_field,
                    a.is_ready if a.is_prospect else None,
                ]  # fmt: skip

        return csv_response(filename="accounts.csv", header=EXPORT_HEADER, rows=rows())


class AccountCreateView(View):
    template_name = "targeting/account_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = AccountForm(instance=Account(), viewer=request.user)
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AccountForm(request.POST, instance=Account(), viewer=request.user)
        if form.is_valid():
            try:
                account = services.account_save(account=form.to_instance(), by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The account has been created."))
                return redirect(account)
        return render(request, self.template_name, {"form": form}, status=400)


class AccountUpdateView(View):
    template_name = "targeting/account_form.html"

    def _context(self, form, account):
        return {"form": form, "account": account}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        form = AccountForm(instance=account, viewer=request.user, suggestion=_suggestion_label(account))
        return render(request, self.template_name, self._context(form, account))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        suggestion = _suggestion_label(account)
        # The form works on a copy: the page header keeps the saved name while the input is refused.
        form = AccountForm(request.POST, instance=copy(account), viewer=request.user, suggestion=suggestion)
        if form.is_valid():
            try:
                account = services.account_save(account=form.to_instance(), by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The account has been saved."))
                return redirect(account)
        return render(request, self.template_name, self._context(form, account), status=400)


class AccountDetailView(View):
    """One account: facts, research checklist, contacts, tier explanation, matching segments and history."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        viewer = request.user
        account = selectors.account_detail(viewer=viewer, pk=pk)
        if account is None:
            raise Http404
        suggestion = selectors.suggested_contact_level(account)
        criteria = selectors.tier_explanation(account=account)
        context = {
            "account": account,
            "contacts": list(account.contacts.all()),
            "checklist": selectors.account_checklist(account),
            "suggested_level": ContactLevel(suggestion.level).label,
            "suggested_rule": suggestion.rule,
            "target_level_label": ContactLevel(account.target_level).label if account.target_level else "",
            "criteria": criteria,
            "score": sum(c.points for c in criteria),
            "settings": selectors.team_settings(team=account.owner.team),
            "matches": selectors.account_segment_matches(account=account, viewer=viewer),
            "history": selectors.account_history(account=account),
            "can_change": services.can_change_account(user=viewer, account=account),
            "can_reassign": services.can_reassign(user=viewer),
        }
        return render(request, "targeting/account_detail.html", context)


class AccountDeleteView(View):
    template_name = "targeting/account_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        if not services.can_change_account(user=request.user, account=account):
            raise PermissionDenied
        return render(request, self.template_name, {"account": account})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        name = str(account)
        services.account_delete(account=account, by=request.user)
        messages.success(request, _("%(name)s has been deleted.") % {"name": name})
        return redirect("targeting:account-list")


class AccountReassignView(View):
    """A leader (or director, or admin) gives the account to another RM they manage, saying why."""

    template_name = "targeting/account_reassign_form.html"

    def _account(self, request: HttpRequest, pk: int) -> Account:
        account = _visible_account(request, pk)
        if not services.can_reassign(user=request.user):
            raise PermissionDenied
        return account

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = self._account(request, pk)
        form = AccountReassignForm(viewer=request.user, account=account)
        return render(request, self.template_name, {"form": form, "account": account})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = self._account(request, pk)
        form = AccountReassignForm(request.POST, viewer=request.user, account=account)
        if form.is_valid():
            try:
                services.account_reassign(
                    account=account,
                    new_owner=form.cleaned_data["owner"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(account)s now belongs to %(owner)s.") % {"account": account, "owner": account.owner},
                )
                return redirect(account)
        return render(request, self.template_name, {"form": form, "account": account}, status=400)


class AccountTierView(View):
    """Set or clear a manual tier; an override needs a reason."""

    template_name = "targeting/account_tier_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        form = AccountTierForm(
            initial={"tier": account.tier_override, "reason": account.tier_override_reason}
        )
        return render(request, self.template_name, {"form": form, "account": account})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        form = AccountTierForm(request.POST)
        if form.is_valid():
            try:
                services.account_set_tier_override(
                    account=account,
                    tier=form.cleaned_data["tier"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error, aliases={"tier_override_reason": "reason"})
            else:
                messages.success(request, _("The tier has been saved."))
                return redirect(account)
        account.refresh_from_db()  # the page shows the tier in force, not the refused one
        return render(request, self.template_name, {"form": form, "account": account}, status=400)


class ContactCreateView(View):
    template_name = "targeting/contact_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        form = ContactForm(target_level=account.target_level)
        return render(request, self.template_name, {"form": form, "account": account})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = _visible_account(request, pk)
        form = ContactForm(request.POST, instance=Contact(account=account), target_level=account.target_level)
        if form.is_valid():
            try:
                services.contact_save(contact=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The contact has been added."))
                return redirect(account)
        return render(request, self.template_name, {"form": form, "account": account}, status=400)


def _visible_contact(request: HttpRequest, pk: int):
    contact = selectors.contacts_visible_to(viewer=request.user).filter(pk=pk).first()
    if contact is None:
        raise Http404
    return contact


class ContactUpdateView(View):
    template_name = "targeting/contact_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _visible_contact(request, pk)
        form = ContactForm(instance=contact, target_level=contact.account.target_level)
        return render(
            request, self.template_name, {"form": form, "account": contact.account, "contact": contact}
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _visible_contact(request, pk)
        account = contact.account
        form = ContactForm(request.POST, instance=copy(contact), target_level=account.target_level)
        if form.is_valid():
            try:
                services.contact_save(contact=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The contact has been saved."))
                return redirect(account)
        context = {"form": form, "account": account, "contact": contact}
        return render(request, self.template_name, context, status=400)


class ContactDeleteView(View):
    template_name = "targeting/contact_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _visible_contact(request, pk)
        if not services.can_change_account(user=request.user, account=contact.account):
            raise PermissionDenied
        return render(request, self.template_name, {"contact": contact, "account": contact.account})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _visible_contact(request, pk)
        account = contact.account
        services.contact_delete(contact=contact, by=request.user)
        messages.success(request, _("The contact has been deleted."))
        return redirect(account)
