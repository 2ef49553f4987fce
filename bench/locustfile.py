"""Locust scenario for bench/load.py (run by it as a separate process; never imported by the tests).

Each simulated person logs in through the login form (CSRF token from the page) with credentials taken in
turn from LOAD_USERS_FILE (a JSON list of [role, e-mail]) and LOAD_PASSWORD, then visits the pages of their
role. Requests are named by page, so the statistics come out per page.
"""

import itertools
import json
import os
import re
import threading

from locust import HttpUser, between, task

_CREDENTIALS = json.loads(open(os.environ["LOAD_USERS_FILE"], encoding="utf-8").read())  # noqa: SIM115
_NEXT = itertools.cycle(_CREDENTIALS)
_LOCK = threading.Lock()
_PASSWORD = os.environ["LOAD_PASSWORD"]
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CHECKPOINT = re.compile(r'href="(/coaching/checkpoints/\d+/)"')

PAGES = {
    "floor": "/floor/",
    "home": "/",
    "dashboard": "/kpis/dashboard/",
    "accounts": "/targeting/accounts/",
    "review-board": "/coaching/plans/review/",
}


class Person(HttpUser):
    wait_time = between(0.2, 0.8)

    def on_start(self) -> None:
        with _LOCK:
            self.role, email = next(_NEXT)
        form = self.client.get("/login/", name="login-form")
        token = _CSRF.search(form.text)
        self.client.post(
            "/login/",
            data={
                "username": email,
                "password": _PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/login/"},
            name="login",
        )
        # Every meeting, not only the coming ones (the default): the generated ones may all be past.
        listing = self.client.get("/coaching/checkpoints/?when=", name="checkpoint-list")
        found = _CHECKPOINT.search(listing.text)
        self.checkpoint = found.group(1) if found else None

    def _get(self, name: str, path: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200 or "/login/" in response.url:
                response.failure(f"{response.status_code} at {response.url}")

    @task(2)
    def floor(self) -> None:
        self._get("floor", PAGES["floor"])

    @task(2)
    def home(self) -> None:
        self._get("home", PAGES["home"])

    @task(2)
    def dashboard(self) -> None:
        self._get("dashboard", PAGES["dashboard"])  # follows the redirect to the person's own dashboard

    @task(2)
    def accounts(self) -> None:
        self._get("accounts", PAGES["accounts"])

    @task(1)
    def review_board(self) -> None:
        if self.role != "rm":
            self._get("review-board", PAGES["review-board"])

    @task(1)
    def checkpoint(self) -> None:
        if self.checkpoint:
            self._get("checkpoint", self.checkpoint)
