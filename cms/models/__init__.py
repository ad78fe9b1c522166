"""Wagtail pages and site settings of the public site, one module per area."""

from cms.models.base import (
    AccessibilityStatus,
    BasePage,
    HomeFeaturedStartup,
    HomePage,
    SiteIdentity,
    SitemapPage,
    StandardPage,
    page_link,
)
from cms.models.directory import StartupDirectoryPage
from cms.models.documents import PrivateDocument
from cms.models.lessons import LessonsLibraryPage
from cms.models.news import NewsIndexPage, NewsPage
from cms.models.program import ProgramPage
from cms.models.reports import ReportIndexPage

__all__ = [
    "AccessibilityStatus",
    "BasePage",
    "HomeFeaturedStartup",
    "HomePage",
    "LessonsLibraryPage",
    "NewsIndexPage",
    "NewsPage",
    "PrivateDocument",
    "ProgramPage",
    "ReportIndexPage",
    "SiteIdentity",
    "SitemapPage",
    "StandardPage",
    "StartupDirectoryPage",
    "page_link",
]
