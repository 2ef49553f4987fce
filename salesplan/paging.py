"""One page of a list, as every list page shows it with templates/partials/_pagination.html."""

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict

PAGE_SIZE = 25  # rows a list page shows


def paginate(request: HttpRequest, items, *, per_page: int = PAGE_SIZE, params: QueryDict | None = None):
    """The page the request asks for (the first for a page that is not a number, the last past the end) and
    the list's query string without the page, for the pagination links to keep the filters and the sort.
    `params`: the filters as the view read them, when they differ from the request's (a default added)."""
    page: Page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = (request.GET if params is None else params).copy()
    query.pop("page", None)
    return page, query.urlencode()
