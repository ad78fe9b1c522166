"""`manage.py purge_expired_data`: what docs/privacy.md says has expired goes, the rest stays."""

import datetime
import io

from django.contrib.sessions.models import Session
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

import pytest

from incubator.models import NotificationLog
from incubator.services.retention import (
    APPLICATION_RETENTION,
    NOTIFICATION_LOG_RETENTION,
    STRIPE_EVENT_RETENTION,
)
from programs import services
from programs.calls import Application, ApplicationDocument, ApplicationStatus
from programs.payments import StripeEvent
from tests.factories import UserFactory
from tests.programs.conftest import DURING_CALL, pdf_file

pytestmark = pytest.mark.django_db

# "Just past" and "just inside" a limit: an hour either side.
MARGIN = datetime.timedelta(hours=1)
PAST = APPLICATION_RETENTION + MARGIN
INSIDE = APPLICATION_RETENTION - MARGIN
PAYER = {"customer_details": {"name": "Dominique Payeur", "email": "compta@lyon.example.fr"}}


def purge(*args) -> str:
    out = io.StringIO()
    call_command("purge_expired_data", *args, stdout=out)
    return out.getvalue()


def send(draft: Application, title: str) -> Application:
    """Another sent application like `draft` (the fixture), under another title."""
    copy = services.application_save_draft(
        call=draft.call,
        applicant=draft.applicant,
        now=DURING_CALL,
        title=title,
        problem_statement=draft.problem_statement,
        sponsor_territory=draft.sponsor_territory,
        sponsor_contact_name=draft.sponsor_contact_name,
        sponsor_contact_email=draft.sponsor_contact_email,
        sponsor_contact_role=draft.sponsor_contact_role,
        answers={answer.question_id: answer.text for answer in draft.answers.all()},
    )
    return services.application_submit(copy, user=draft.applicant, now=DURING_CALL)


def reject(application, coach, *, ago: datetime.timedelta) -> Application:
    services.application_reject(application, coach=coach, reason="Hors du périmètre.")
    Application.objects.filter(pk=application.pk).update(decided_at=timezone.now() - ago)
    return application


def close_call_ago(call, ago: datetime.timedelta) -> None:
    call.closes_at = timezone.now() - ago
    call.save(update_fields=["closes_at"])


def test_a_rejected_application_goes_with_its_files_two_years_after_the_decision(
    draft, coach, applicant, django_capture_on_commit_callbacks
):
    services.application_add_document(
        draft, uploaded_file=pdf_file(), user=applicant, now=DURING_CALL
    )
    name = ApplicationDocument.objects.get(application=draft).file.name
    submitted = services.application_submit(draft, user=applicant, now=DURING_CALL)
    expired = reject(submitted, coach, ago=PAST)
    recent = reject(send(draft, "Une autre idée"), coach, ago=INSIDE)

    with django_capture_on_commit_callbacks(execute=True):
        output = purge()

    assert list(Application.objects.all()) == [recent]
    assert not ApplicationDocument.objects.filter(application_id=expired.pk).exists()
    assert not storages["private"].exists(name)
    assert "candidatures non retenues (réponses, notes et commentaires compris) : 1" in output
    assert "pièces jointes de ces candidatures : 1" in output


def test_applications_nobody_decided_go_two_years_after_their_call_closed(draft, call):
    sent = send(draft, "Envoyée, jamais examinée")
    close_call_ago(call, PAST)
    purge()
    assert not Application.objects.filter(pk__in=[draft.pk, sent.pk]).exists()


def test_applications_of_a_call_closed_less_than_two_years_ago_stay(draft, call):
    sent = send(draft, "Envoyée, pas encore examinée")
    close_call_ago(call, INSIDE)
    purge()
    assert set(Application.objects.all()) == {draft, sent}


def test_an_accepted_application_stays_as_the_record_of_its_startups_selection(
    submitted, coach, cohort, call
):
    services.application_accept(
        submitted,
        coach=coach,
        cohort=cohort,
        first_review_date=datetime.date(2026, 6, 1),
        now=submitted.submitted_at,
    )
    close_call_ago(call, PAST)
    Application.objects.update(decided_at=timezone.now() - PAST)
    purge()
    assert Application.objects.get().status == ApplicationStatus.ACCEPTED


def test_notification_logs_go_after_a_year():
    now = timezone.now()
    NotificationLog.objects.create(key="digest:1:2024-W01")
    NotificationLog.objects.create(key="digest:1:2024-W02")
    NotificationLog.objects.filter(key="digest:1:2024-W01").update(
        sent_at=now - NOTIFICATION_LOG_RETENTION - MARGIN
    )
    NotificationLog.objects.filter(key="digest:1:2024-W02").update(
        sent_at=now - NOTIFICATION_LOG_RETENTION + MARGIN
    )
    output = purge()
    assert list(NotificationLog.objects.values_list("key", flat=True)) == ["digest:1:2024-W02"]
    assert "traces de notifications envoyées : 1" in output


def test_expired_sessions_go_and_open_ones_stay():
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=now - MARGIN)
    Session.objects.create(session_key="b" * 32, session_data="", expire_date=now + MARGIN)
    output = purge()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
    assert "sessions de connexion expirées : 1" in output


def test_stripe_events_lose_the_payers_details_after_ten_years_and_keep_their_id():
    now = timezone.now()
    for event_id, age in (
        ("evt_old", STRIPE_EVENT_RETENTION + MARGIN),
        ("evt_recent", STRIPE_EVENT_RETENTION - MARGIN),
    ):
        StripeEvent.objects.create(
            event_id=event_id, type="checkout.session.completed", payload=PAYER
        )
        StripeEvent.objects.filter(event_id=event_id).update(received_at=now - age)
    output = purge()
    payloads = dict(StripeEvent.objects.values_list("event_id", "payload"))
    assert payloads == {"evt_old": {}, "evt_recent": PAYER}
    assert "événements Stripe vidés des coordonnées du payeur : 1" in output


def test_a_dry_run_counts_and_changes_nothing_and_a_second_run_finds_nothing(
    submitted, coach, django_capture_on_commit_callbacks
):
    reject(submitted, coach, ago=PAST)
    NotificationLog.objects.create(key="digest:1:2020-W01")
    NotificationLog.objects.update(sent_at=timezone.now() - NOTIFICATION_LOG_RETENTION - MARGIN)
    Session.objects.create(
        session_key="c" * 32, session_data="", expire_date=timezone.now() - MARGIN
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        output = purge("--dry-run")
    assert not callbacks
    assert "Simulation : rien n’a été modifié" in output
    assert "candidatures non retenues (réponses, notes et commentaires compris) : 1" in output
    assert (Application.objects.count(), NotificationLog.objects.count()) == (1, 1)
    assert Session.objects.count() == 1

    purge()
    again = purge()
    assert again.count(" : 0") == 5
    assert (Application.objects.count(), NotificationLog.objects.count()) == (0, 0)
    assert Session.objects.count() == 0
    assert UserFactory._meta.model.objects.filter(pk=submitted.applicant_id).exists()
