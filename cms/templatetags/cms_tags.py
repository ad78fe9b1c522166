from django import template

from wagtail.models import Site

from incubator.public_cache import remember

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu_pages(context) -> list[dict]:
    """The site's top-level pages marked « montrer dans les menus » (title and url).

    In every page's header: remembered until a page or the public data changes
    (publishing or moving a page bumps the data version).
    """
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    if site is None:
        return []

    def menu():
        pages = site.root_page.get_children().live().public().in_menu()
        return [{"title": page.title, "url": page.get_url(request)} for page in pages]

    return remember(f"main-menu:{site.pk}", menu)
