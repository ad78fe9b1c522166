"""ProConnect login, end to end against a fake OpenID Connect provider on 127.0.0.1.

The fake serves discovery, JWKS, /authorize, /token and a signed-JWT
/userinfo like ProConnect does; allauth talks to it over real HTTP.
"""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from django.test import Client
from django.urls import reverse

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from accounts.enums import Role
from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CLIENT_ID = "territoires-lab-integration"
CLIENT_SECRET = "un-secret-de-test"
KID = "cle-de-test"
SCOPES = ["openid", "email", "given_name", "usual_name", "siret", "uid"]
BUTTON_TEXT = "S’identifier avec ProConnect"
ERROR_TITLE = "Échec de la connexion via réseau social"  # allauth's French error page
AGENT = {
    "sub": "a1b2c3d4-pairwise-sub",
    "email": "camille.martin@interieur.gouv.fr",
    "given_name": "Camille",
    "usual_name": "Martin",
    "siret": "11000201100044",
    "uid": "4242",
}


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProConnect:
    """Just enough of ProConnect for an authorization code flow.

    Knobs for the refusal tests: `id_token_overrides` / `userinfo_overrides`
    (a None value removes the claim), `id_token_key` / `userinfo_key` (sign
    with another key), `userinfo_algorithm`, `userinfo_as_json` (plain JSON
    userinfo).
    """

    def __init__(self, key, algorithm="RS256"):
        self.key = key
        self.algorithm = algorithm
        self.id_token_key = key
        self.userinfo_key = key
        self.userinfo_algorithm = algorithm
        self.claims = dict(AGENT)
        self.id_token_overrides = {}
        self.userinfo_overrides = {}
        self.userinfo_as_json = False
        self.codes = {}  # code -> parameters of the authorization request
        self.access_tokens = set()

        handler = type("Handler", (FakeProConnectHandler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def discovery(self):
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/session/end",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": [self.algorithm],
            "userinfo_signing_alg_values_supported": [self.algorithm],
        }

    def jwks(self):
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        jwk = algorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": KID, "alg": self.algorithm, "use": "sig"}]}

    def sign(self, claims, key, algorithm=None):
        algorithm = algorithm or self.algorithm
        key = None if algorithm == "none" else key
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": KID})

    @staticmethod
    def apply(claims, overrides):
        claims = {**claims, **overrides}
        return {name: value for name, value in claims.items() if value is not None}

    def id_token(self, nonce):
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": self.claims["sub"],
            "iat": now,
            "exp": now + 60,
            "nonce": nonce,
            "acr": "eidas1",
            "amr": ["pwd"],
        }
        return self.sign(self.apply(claims, self.id_token_overrides), self.id_token_key)

    def userinfo(self):
        claims = self.apply(
            {"iss": self.url, "aud": CLIENT_ID, **self.claims}, self.userinfo_overrides
        )
        if self.userinfo_as_json:
            return "application/json", json.dumps(claims)
        return "application/jwt", self.sign(claims, self.userinfo_key, self.userinfo_algorithm)


class FakeProConnectHandler(BaseHTTPRequestHandler):
    fake: FakeProConnect

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def reply(self, status, body="", content_type="application/json", headers=None):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/.well-known/openid-configuration":
            return self.reply(200, self.fake.discovery())
        if url.path == "/jwks":
            return self.reply(200, self.fake.jwks())
        if url.path == "/authorize":
            # The agent logs in at ProConnect, which sends them back with a code.
            params = {name: values[0] for name, values in parse_qs(url.query).items()}
            if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
                return self.reply(400, {"error": "invalid_request"})
            code = secrets.token_urlsafe(16)
            self.fake.codes[code] = params
            query = urlencode({"code": code, "state": params.get("state", "")})
            return self.reply(302, headers={"Location": f"{params['redirect_uri']}?{query}"})
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.fake.access_tokens:
                return self.reply(401, {"error": "invalid_token"})
            content_type, body = self.fake.userinfo()
            return self.reply(200, body, content_type=content_type)
        return self.reply(404, {"error": "not_found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlparse(self.path).path != "/token":
            return self.reply(404, {"error": "not_found"})
        request = self.fake.codes.pop(form.get("code"), None)  # codes are single use
        if (
            request is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != request["redirect_uri"]
        ):
            return self.reply(400, {"error": "invalid_grant"})
        access_token = secrets.token_urlsafe(16)
        self.fake.access_tokens.add(access_token)
        return self.reply(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": self.fake.id_token(request.get("nonce")),
            },
        )


def configure(settings, server_url):
    # allauth reads SOCIALACCOUNT_PROVIDERS at call time: the settings fixture is enough.
    settings.SOCIALACCOUNT_PROVIDERS = {
        "proconnect": {
            "APP": {
                "name": "ProConnect",
                "client_id": CLIENT_ID,
                "secret": CLIENT_SECRET,
                "settings": {"server_url": server_url},
            },
            "SCOPE": SCOPES,
        }
    }


@pytest.fixture(scope="module")
def signing_key():
    return rsa_key()


@pytest.fixture
def proconnect(settings, signing_key):
    fake = FakeProConnect(signing_key)
    configure(settings, fake.url)
    yield fake
    fake.close()


@pytest.fixture
def auth_errors(monkeypatch):
    """The reasons allauth was given for each refused login, to check the right check fired."""
    errors = []
    original = DefaultSocialAccountAdapter.on_authentication_error

    def record(self, request, provider, error=None, exception=None, extra_context=None):
        errors.append(str(exception) if exception else error)
        return original(self, request, provider, error, exception, extra_context)

    monkeypatch.setattr(DefaultSocialAccountAdapter, "on_authentication_error", record)
    return errors


def start_login(client):
    """Click the button: allauth answers with a redirect to ProConnect."""
    response = client.post(reverse("proconnect_login"))
    assert response.status_code == 302
    return response["Location"]


def log_in_at_proconnect(authorize_url):
    """Play the browser at ProConnect: returns the callback URL it sends us back to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    return response.headers["Location"]


def callback(client, callback_url, **replace):
    url = urlparse(callback_url)
    params = {name: values[0] for name, values in parse_qs(url.query).items()}
    return client.get(url.path, {**params, **replace})


def full_login(client, **replace):
    return callback(client, log_in_at_proconnect(start_login(client)), **replace)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def assert_refused(client, response, users_before):
    assert response.status_code < 500
    assert ERROR_TITLE in response.content.decode()
    assert logged_in_user_id(client) is None
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()


# --- Happy paths ----------------------------------------------------------------


def test_login_redirects_to_proconnect_with_state_nonce_and_scopes(client, proconnect):
    location = start_login(client)

    url = urlparse(location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{proconnect.url}/authorize"
    params = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"].endswith("://testserver" + reverse("proconnect_callback"))
    assert set(params["scope"].split()) == set(SCOPES)
    assert len(params["state"]) >= 16
    assert len(params["nonce"]) >= 32
    # A fresh nonce and state for every attempt.
    again = parse_qs(urlparse(start_login(client)).query)
    assert again["nonce"][0] != params["nonce"]
    assert again["state"][0] != params["state"]


def test_new_agent_gets_an_account_with_name_and_verified_email(client, proconnect):
    response = full_login(client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get()
    assert logged_in_user_id(client) == str(user.pk)
    assert user.email == AGENT["email"]
    assert user.display_name == "Camille Martin"
    assert (user.first_name, user.last_name) == ("Camille", "Martin")
    assert user.role == Role.AGENT
    assert not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert address.email == AGENT["email"]
    assert address.verified and address.primary
    account = SocialAccount.objects.get(user=user)
    assert account.provider == "proconnect"
    assert account.uid == AGENT["sub"]
    assert account.extra_data["userinfo"]["siret"] == AGENT["siret"]
    assert account.extra_data["userinfo"]["uid"] == AGENT["uid"]


def test_existing_user_with_the_same_email_is_logged_in_as_themselves(client, proconnect):
    existing = UserFactory(email=AGENT["email"], display_name="Camille M.")
    # ProConnect may spell the address with capitals.
    proconnect.claims["email"] = "Camille.Martin@Interieur.gouv.fr"

    response = full_login(client)

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(existing.pk)
    assert User.objects.count() == 1
    assert SocialAccount.objects.get().user == existing
    existing.refresh_from_db()
    assert existing.display_name == "Camille M."  # the member's own choice stays

    # Next time, the ProConnect account itself identifies them.
    client.logout()
    full_login(client)
    assert logged_in_user_id(client) == str(existing.pk)
    assert User.objects.count() == 1


def test_unverified_homonym_account_loses_its_password(client, proconnect):
    # Someone signed up with the agent's address but never proved it: the
    # agent gets the account, and allauth wipes the squatter's password.
    squatted = UserFactory(email=AGENT["email"], verified_email=False)
    assert squatted.has_usable_password()

    full_login(client)

    assert logged_in_user_id(client) == str(squatted.pk)
    squatted.refresh_from_db()
    assert not squatted.has_usable_password()


def test_plain_json_userinfo_is_accepted(client, proconnect):
    proconnect.userinfo_as_json = True

    response = full_login(client)

    assert response.status_code == 302
    assert User.objects.get().display_name == "Camille Martin"
    assert logged_in_user_id(client) is not None


def test_es256_signed_tokens_are_accepted(client, settings):
    fake = FakeProConnect(ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    configure(settings, fake.url)
    try:
        response = full_login(client)
    finally:
        fake.close()

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(User.objects.get().pk)


# --- Refusals ---------------------------------------------------------------------


def test_wrong_state_is_refused(client, proconnect, auth_errors):
    callback_url = log_in_at_proconnect(start_login(client))

    response = callback(client, callback_url, state="etat-inconnu")

    assert_refused(client, response, users_before=0)
    assert auth_errors == ["unknown"]
    assert proconnect.codes, "the code must not even be exchanged"


def test_a_state_from_another_browser_is_refused(client, proconnect, auth_errors):
    callback_url = log_in_at_proconnect(start_login(client))

    response = callback(Client(), callback_url)

    assert_refused(client, response, users_before=0)
    assert auth_errors == ["unknown"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param({"nonce": "pas-le-bon-nonce"}, "nonce mismatch", id="wrong-nonce"),
        pytest.param({"nonce": None}, "nonce mismatch", id="missing-nonce"),
        pytest.param(
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            "Signature has expired",
            id="expired",
        ),
        pytest.param({"exp": None}, '"exp"', id="no-expiry"),
        pytest.param({"aud": "un-autre-client"}, "Audience", id="wrong-audience"),
        pytest.param({"iss": "https://faux-proconnect.example"}, "issuer", id="wrong-issuer"),
    ],
)
def test_bad_id_token_is_refused(client, proconnect, auth_errors, overrides, reason):
    UserFactory(email=AGENT["email"])  # even an existing account is not handed out
    proconnect.id_token_overrides = overrides

    response = full_login(client)

    assert_refused(client, response, users_before=1)
    assert len(auth_errors) == 1 and reason in auth_errors[0]


def test_id_token_signed_by_another_key_is_refused(client, proconnect, auth_errors):
    proconnect.id_token_key = rsa_key()

    assert_refused(client, full_login(client), users_before=0)
    assert "Signature verification failed" in auth_errors[0]


def test_userinfo_signed_by_another_key_is_refused(client, proconnect, auth_errors):
    proconnect.userinfo_key = rsa_key()

    assert_refused(client, full_login(client), users_before=0)
    assert "Signature verification failed" in auth_errors[0]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param({"aud": "un-autre-client"}, "Audience", id="wrong-audience"),
        pytest.param({"iss": "https://faux-proconnect.example"}, "issuer", id="wrong-issuer"),
        pytest.param({"sub": "quelqu-un-d-autre"}, "subjects differ", id="other-subject"),
    ],
)
def test_bad_userinfo_is_refused(client, proconnect, auth_errors, overrides, reason):
    proconnect.userinfo_overrides = overrides

    assert_refused(client, full_login(client), users_before=0)
    assert len(auth_errors) == 1 and reason in auth_errors[0]


def test_unsigned_userinfo_jwt_is_refused(client, proconnect, auth_errors):
    proconnect.userinfo_algorithm = "none"

    assert_refused(client, full_login(client), users_before=0)
    assert "Refused JWT algorithm 'none'" in auth_errors[0]


def test_unreachable_proconnect_shows_an_error_page(client, settings, auth_errors):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(settings, f"http://127.0.0.1:{port}")

    response = client.post(reverse("proconnect_login"))

    assert response.status_code < 500
    assert ERROR_TITLE in response.content.decode()
    assert "Connection refused" in auth_errors[0]


# --- Login page and configuration ------------------------------------------------------


def test_login_page_shows_a_working_proconnect_button(proconnect):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("account_login"), {"next": "/comptes/profil/"}).content.decode()

    assert BUTTON_TEXT in page
    form = re.search(
        r'<form method="post" action="(/comptes/proconnect/login/[^"]*)">\s*<input[^>]*value="([^"]+)"',
        page,
    )
    assert form, "no POST form for ProConnect on the login page"
    response = browser.post(
        form.group(1).replace("&amp;", "&"), {"csrfmiddlewaretoken": form.group(2)}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{proconnect.url}/authorize?")

    # Back from ProConnect, the agent lands where they were going.
    response = callback(browser, log_in_at_proconnect(response["Location"]))
    assert response.status_code == 302
    assert response["Location"] == "/comptes/profil/"


def test_member_can_link_proconnect_from_the_connections_page(client, proconnect, mailoutbox):
    member = UserFactory(email="camille.perso@exemple.fr")
    client.post(reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD})
    page = client.get(reverse("socialaccount_connections"))
    assert page.status_code == 200
    assert BUTTON_TEXT in page.content.decode()

    location = client.post(reverse("proconnect_login"), {"process": "connect"})["Location"]
    response = callback(client, log_in_at_proconnect(location))

    # Back from ProConnect, the member confirms it is them before the link is made: an
    # open session alone must not let someone attach their own ProConnect identity.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reauthenticate")
    assert not SocialAccount.objects.exists()
    wrong = client.post(response["Location"], {"password": "pas-le-bon-mot-de-passe"})
    assert wrong.status_code == 200 and not SocialAccount.objects.exists()
    linked = client.post(response["Location"], {"password": TEST_PASSWORD})

    assert linked.status_code == 302
    assert SocialAccount.objects.get().user == member
    assert User.objects.count() == 1
    [notice] = mailoutbox
    assert notice.to == [member.email]
    assert "Compte tiers ajouté" in notice.subject
    assert "Un compte tiers de ProConnect a été associé à votre compte." in notice.body


def test_member_unlinks_proconnect_after_giving_the_password_again(client, proconnect, mailoutbox):
    member = UserFactory(email="camille.perso@exemple.fr")
    account = SocialAccount.objects.create(user=member, provider="proconnect", uid=AGENT["sub"])
    client.post(reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD})

    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert SocialAccount.objects.filter(pk=account.pk).exists()
    client.post(response["Location"], {"password": TEST_PASSWORD})
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
    [notice] = mailoutbox
    assert "Compte tiers dissocié" in notice.subject


# --- Re-authentication of ProConnect-only accounts --------------------------------------

NEW_ADDRESS = "camille.perso@messagerie.example"


def add_address(client):
    return client.post(reverse("account_email"), {"action_add": "", "email": NEW_ADDRESS})


def reauthenticate_at_proconnect(client, asked):
    """Follow the re-authentication: allauth's page, then ProConnect, then back."""
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("proconnect_login") + "?next=")
    assert "Confirmer votre identité" in client.get(asked["Location"]).content.decode()
    location = client.post(asked["Location"])["Location"]
    params = parse_qs(urlparse(location).query)
    assert params["prompt"] == ["login"]  # ProConnect must ask, not reuse its session
    return callback(client, log_in_at_proconnect(location))


def test_a_proconnect_only_agent_confirms_with_proconnect_before_adding_an_address(
    client, proconnect
):
    full_login(client)
    agent = User.objects.get()
    assert not agent.has_usable_password()

    back = reauthenticate_at_proconnect(client, add_address(client))

    assert back.status_code == 302 and back["Location"] == reverse("account_email")
    assert logged_in_user_id(client) == str(agent.pk)  # still signed in, same account
    assert not EmailAddress.objects.filter(email=NEW_ADDRESS).exists()  # not replayed
    assert add_address(client)["Location"] == reverse("account_email")
    assert EmailAddress.objects.filter(user=agent, email=NEW_ADDRESS).exists()


def test_a_first_password_needs_proconnect_again(client, proconnect):
    full_login(client)
    agent = User.objects.get()
    new_password = {"password1": "un-mot-de-passe-solide", "password2": "un-mot-de-passe-solide"}

    asked = client.post(reverse("account_set_password"), new_password)

    agent.refresh_from_db()
    assert not agent.has_usable_password()
    reauthenticate_at_proconnect(client, asked)
    client.post(reverse("account_set_password"), new_password)
    agent.refresh_from_db()
    assert agent.has_usable_password()


def test_a_proconnect_only_coach_confirms_with_proconnect_then_sets_up_mfa(
    client, proconnect, caplog
):
    caplog.set_level("INFO", logger="security")
    full_login(client)
    User.objects.update(role=Role.COACH)
    activation = reverse("mfa_activate_totp")
    assert client.get("/")["Location"] == activation  # MFA first, as for every coach

    back = reauthenticate_at_proconnect(client, client.get(activation))

    assert back["Location"] == activation
    assert client.get(activation).status_code == 200  # the QR code, at last
    assert '"event": "reauthenticated"' in caplog.text
    assert '"method": "socialaccount"' in caplog.text


def test_someone_elses_proconnect_identity_confirms_nothing(client, proconnect):
    full_login(client)
    agent = User.objects.get()
    # The same browser, but ProConnect now answers for another civil servant.
    proconnect.claims = {**AGENT, "sub": "une-autre-personne", "email": "autre@interieur.gouv.fr"}

    back = reauthenticate_at_proconnect(client, add_address(client))

    assert back.status_code == 302
    assert logged_in_user_id(client) == str(agent.pk)
    page = client.get(back["Location"]).content.decode()
    assert "Ce compte ProConnect n’est pas celui de votre compte" in page
    assert add_address(client)["Location"].startswith(reverse("proconnect_login"))
    assert not EmailAddress.objects.filter(email=NEW_ADDRESS).exists()
    assert User.objects.count() == 1 and SocialAccount.objects.count() == 1


def test_without_configuration_there_is_no_button_and_no_login(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    assert BUTTON_TEXT not in page.content.decode()
    assert "ProConnect" not in page.content.decode()
    assert client.post(reverse("proconnect_login")).status_code == 404
    assert client.get(reverse("proconnect_callback")).status_code == 404


def run_settings(env):
    """Import config.settings afresh with `env`, as a deployment would."""
    code = "import json, config.settings as s; print(json.dumps(s.SOCIALACCOUNT_PROVIDERS))"
    base = {k: v for k, v in os.environ.items() if not k.startswith("PROCONNECT_")}
    return subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", code],
        env={**base, "SECRET_KEY": "x" * 50, **env},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_come_from_the_environment_alone():
    assert json.loads(run_settings({}).stdout) == {}

    result = run_settings(
        {
            "PROCONNECT_CLIENT_ID": "mon-client",
            "PROCONNECT_CLIENT_SECRET": "mon-secret",
            "PROCONNECT_SERVER_URL": "https://proconnect.example/api/v2",
        }
    )
    app = json.loads(result.stdout)["proconnect"]
    assert app["APP"]["client_id"] == "mon-client"
    assert app["APP"]["secret"] == "mon-secret"
    assert app["APP"]["settings"]["server_url"] == "https://proconnect.example/api/v2"
    assert app["SCOPE"] == SCOPES

    half_done = run_settings({"PROCONNECT_CLIENT_ID": "mon-client"})
    assert half_done.returncode != 0
    assert "ImproperlyConfigured" in half_done.stderr
