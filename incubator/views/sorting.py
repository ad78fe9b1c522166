"""Sortable table headers shared by the workspace lists (GET `tri`, `-` reverses)."""


def sort_headers(request, sort: str, sorts: dict, *, plain_order: str = "ascending") -> dict:
    """For each sortable column: its label, the link that sorts by it, and its aria-sort.

    `plain_order` is what the key without `-` means for these columns ("descending" when
    the first click shows the newest or best first); clicking the current column reverses it.
    """
    reverse_order = "descending" if plain_order == "ascending" else "ascending"
    headers = {}
    for key, label in sorts.items():
        params = request.GET.copy()
        params.pop("page", None)  # a new order starts on its first page
        current = sort.lstrip("-") == key
        plain = current and not sort.startswith("-")
        params["tri"] = f"-{key}" if plain else key
        headers[key] = {
            "label": label,
            "url": f"?{params.urlencode()}",
            "aria_sort": (plain_order if plain else reverse_order) if current else "",
        }
    return headers
