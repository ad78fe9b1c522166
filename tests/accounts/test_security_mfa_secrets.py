"""TOTP secrets and recovery-code seeds are encrypted in the database."""

import json

from django.db import connection

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.factories import UserFactory, current_totp_code

pytestmark = pytest.mark.django_db


def stored_data(authenticator) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [authenticator.pk])
        (raw,) = cursor.fetchone()
    return raw if isinstance(raw, dict) else json.loads(raw)


def current_code(secret: str) -> str:
    return current_totp_code(secret)


def test_a_totp_secret_is_stored_encrypted_and_still_checks_codes():
    user = UserFactory()
    secret = generate_totp_secret()
    totp = TOTP.activate(user, secret)
    stored = stored_data(totp.instance)["secret"]
    assert secret not in stored and stored.startswith("fernet:")
    assert TOTP(Authenticator.objects.get(pk=totp.instance.pk)).validate_code(current_code(secret))


def test_recovery_codes_seed_is_encrypted_and_codes_still_work():
    user = UserFactory()
    codes = RecoveryCodes.activate(user)
    assert stored_data(codes.instance)["seed"].startswith("fernet:")
    first = codes.get_unused_codes()[0]
    assert RecoveryCodes(Authenticator.objects.get(pk=codes.instance.pk)).validate_code(first)


def test_another_key_cannot_read_the_secret(settings):
    from cryptography.fernet import InvalidToken

    secret = generate_totp_secret()
    totp = TOTP.activate(UserFactory(), secret)
    settings.MFA_ENCRYPTION_KEY = "x" * 43 + "="  # a valid Fernet key, not the one used
    with pytest.raises(InvalidToken):
        TOTP(Authenticator.objects.get(pk=totp.instance.pk)).validate_code(current_code(secret))


def test_a_secret_stored_in_the_clear_before_encryption_still_works():
    user = UserFactory()
    secret = generate_totp_secret()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})
    assert TOTP(Authenticator.objects.get(user=user)).validate_code(current_code(secret))
