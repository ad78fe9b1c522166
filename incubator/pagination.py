"""Pagination of long lists, with the page numbers the DSFR pagination shows.

Rendered by `templates/components/pagination.html`, which keeps the other
query-string parameters (filters, sort) in its links.
"""

from django.core.paginator import Paginator


def paginate(items, request, per_page: int):
    """One page of `items` (the requested one, or the closest), with the numbers to link.

    `pages_list` is what the DSFR pagination shows: the first two pages, the
    current one and its neighbours, the last two, "…" for the gaps.
    """
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    last = page.paginator.num_pages
    numbers = sorted(
        {1, 2, page.number - 1, page.number, page.number + 1, last - 1, last}
        & set(range(1, last + 1))
    )
    page.pages_list = []
    for previous, number in zip([0, *numbers], numbers, strict=False):
        if number - previous == 2:
            page.pages_list.append(number - 1)  # one hidden page: show it rather than "…"
        elif number - previous > 2:
            page.pages_list.append("…")
        page.pages_list.append(number)
    return page
