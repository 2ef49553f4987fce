"""The names of the metric catalogue seeded by migration 0002, marked so that they are translated.

A metric's name is data; `Metric.__str__` shows it in the reader's language when it is one of these.
Metrics an administrator adds later are shown as typed.
"""

from django.utils.translation import gettext_noop

CATALOGUE_NAMES = (
    gettext_noop("Loan balances"),
    gettext_noop("DDA deposit balances"),
    gettext_noop("High-value client retention"),
    gettext_noop("New clients"),
    gettext_noop("Won revenue"),
    gettext_noop("Conversations"),
    gettext_noop("Appointments"),
    gettext_noop("First appointments"),
    gettext_noop("Proposals"),
    gettext_noop("Wins"),
    gettext_noop("Product mix: loans"),
    gettext_noop("Product mix: deposits"),
    gettext_noop("Product mix: cash management"),
    gettext_noop("Forecast accuracy"),
)
