"""Settings of the load benchmark: the project's own, plus a minimal view (bench/urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
