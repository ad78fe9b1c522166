"""ProConnect login: the French State's OpenID Connect for civil servants."""
