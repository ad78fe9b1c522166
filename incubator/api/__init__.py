"""The open data API (`/api/v1/`): public startups, lessons, indicators, territories and
incubators as paginated JSON, CSV exports for data.gouv.fr and their Frictionless Data Package.

Read-only and anonymous. Every row comes from the public selectors of
`incubator.selectors` (through `incubator.api.queries`), so private data cannot
reach the API whatever the query string.
"""
