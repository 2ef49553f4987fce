"""One page of a list and the query string its pagination links keep."""

from django.http import QueryDict
from django.test import RequestFactory

from salesplan.paging import paginate


def _get(query: str):
    return RequestFactory().get(f"/list/?{query}")


def test_the_page_asked_for_and_the_filters_without_the_page():
    page, query = paginate(_get("status=client&page=2&ordering=name"), list(range(60)), per_page=25)
    assert (page.number, list(page)[:2]) == (2, [25, 26])
    assert QueryDict(query) == QueryDict("status=client&ordering=name")


def test_a_page_that_is_not_a_number_is_the_first_and_one_past_the_end_the_last():
    assert paginate(_get("page=abc"), list(range(60)))[0].number == 1
    assert paginate(_get("page=99"), list(range(60)))[0].number == 3
    assert paginate(_get("page=-1"), list(range(60)))[0].number == 3


def test_the_filters_the_view_read_can_stand_for_the_requests():
    read = QueryDict("when=upcoming&page=2", mutable=True)
    assert paginate(_get("page=2"), [], params=read)[1] == "when=upcoming"
