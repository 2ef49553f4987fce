"""English and French ship: the French catalogue is complete and compiled, and pages render in French."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert len(catalogue.translated_entries()) > 100


def test_french_catalogue_is_compiled():
    assert PO.with_suffix(".mo").exists(), "run `make setup` (compilemessages)"
    with translation.override("fr"):
        assert translation.gettext("Log in to SalesPlan") != "Log in to SalesPlan"


@pytest.mark.django_db
def test_login_page_in_french_for_a_french_browser(client):
    page = client.get(reverse("accounts:login"), headers={"accept-language": "fr"}).content.decode()
    assert '<html lang="fr">' in page
    with translation.override("fr"):
        assert translation.gettext("Log in to SalesPlan") in page
