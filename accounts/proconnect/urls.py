from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from accounts.proconnect.provider import ProConnectProvider

# comptes/proconnect/login/ and comptes/proconnect/login/callback/
urlpatterns = default_urlpatterns(ProConnectProvider)
