from django.apps import AppConfig


class ProConnectConfig(AppConfig):
    # allauth finds the provider through `<app>.provider`, so this package is an app.
    name = "accounts.proconnect"
    label = "proconnect"
    verbose_name = "ProConnect"
