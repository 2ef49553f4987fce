"""Load the demo data of every app, in dependency order; running it again changes nothing."""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import module_has_submodule

from accounts.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo organisation and each app's demo data (idempotent)."

    def handle(self, *args, **options):
        logins = []
        # INSTALLED_APPS lists our apps in dependency order: accounts, targeting, kpis, coaching.
        for config in apps.get_app_configs():
            if not module_has_submodule(config.module, "demo"):
                continue
            result = import_module(f"{config.name}.demo").seed(stdout=self.stdout)
            if config.name == "accounts":
                logins = result
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for login in logins:
            self.stdout.write(f"  {login.role:<9} {login.email:<40} {login.name}")
