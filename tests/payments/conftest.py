import pytest
import stripe

from tests.payments.fake_stripe import FakeStripe

FAKE_SECRET_KEY = "sk_test_fake"
FAKE_WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe(settings):
    """A running FakeStripe, with the Stripe settings pointing at it."""
    fake = FakeStripe(api_key=FAKE_SECRET_KEY).start()
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    yield fake
    fake.stop()


@pytest.fixture
def stripe_client(fake_stripe, settings):
    """A real StripeClient built exactly as the production code builds it."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {},
        max_network_retries=0,
    )
