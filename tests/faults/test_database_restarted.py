"""PostgreSQL restarted under the running app: the next requests succeed. The shared server is not restarted;
its effect on the app is: every connection the app holds is closed by the server between two requests.
Requests go through Django's WSGI handler in this thread, as under gunicorn, so persistent connections
(CONN_MAX_AGE) and their health checks (CONN_HEALTH_CHECKS) work as in production."""

import io
from wsgiref.util import setup_testing_defaults

import psycopg2
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from tests.conftest import require

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _get(handler: WSGIHandler, path: str, session: str) -> tuple[str, str]:
    environ = {"PATH_INFO": path, "HTTP_COOKIE": f"sessionid={session}", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status = []
    response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        return status[0], b"".join(response).decode()
    finally:
        response.close()  # request_finished: Django keeps or closes the connection, as after a real request


def _terminate_app_connections() -> int:
    """What a server restart does to the app: close its connections (from another one, kept by this test)."""
    db = connection.settings_dict
    other = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                             host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432)  # fmt: skip
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.rowcount
    finally:
        other.close()


def test_after_the_database_closes_the_apps_connections_the_next_request_succeeds(org, rm_client):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")
    assert connection.settings_dict["CONN_MAX_AGE"] > 0 and connection.settings_dict["CONN_HEALTH_CHECKS"]
    session = rm_client.cookies["sessionid"].value
    handler = WSGIHandler()
    status, body = _get(handler, "/", session)
    assert status.startswith("200") and org.rm_a1.display_name in body, status
    assert connection.connection is not None, "the connection is kept between requests, as in production"

    assert _terminate_app_connections() >= 1, "the app's connection is closed by the server"

    for path in ("/", "/"):  # the next requests, not only the first one after the restart
        status, body = _get(handler, path, session)
        assert status.startswith("200"), f"{path} answered {status} after the database closed the connections"
        assert org.rm_a1.display_name in body
