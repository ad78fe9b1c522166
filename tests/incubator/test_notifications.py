"""E-mail notifications: who gets them, what they say, and that nothing is sent twice."""

import datetime
from io import StringIO

from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

import pytest

from accounts.models import User
from incubator import notifications, services, tasks
from incubator.enums import MembershipRole, Phase, ReviewDecision, TransitionKind
from incubator.exceptions import InvalidTransition
from incubator.models import Membership, NotificationLog, PhaseTransition, Sponsorship, Startup
from tests.factories import (
    CohortFactory,
    IncubatorFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
    document_stop,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def recipients(messages=None) -> set[str]:
    return {address for message in (messages or mail.outbox) for address in message.to}


def startup_url(startup) -> str:
    return settings.SITE_URL + reverse("workspace:startup_detail", args=[startup.slug])


def set_last_activity(startup, day: datetime.date | None) -> None:
    """Pretend the last update happened at noon (local time) on `day`, or never."""
    moment = (
        None
        if day is None
        else timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    )
    Startup.objects.filter(pk=startup.pk).update(last_activity_at=moment)


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def people():
    """A startup's world: deciding coach, other coaches, team, former member, outsiders."""
    incubator = IncubatorFactory(name="Incubateur des Hauts")
    cohort = CohortFactory(program__incubator=incubator)
    world = {
        "coach": UserFactory(coach=True, display_name="Camille Coach", email="coach@exemple.fr"),
        "other_coach": UserFactory(coach=True, email="autre-coach@exemple.fr"),
        "cohort_coach": UserFactory(coach=True, email="coach-promo@exemple.fr"),
        "agent": UserFactory(display_name="Alex Agent", email="agent@exemple.fr"),
        "teammate": UserFactory(email="equipe@exemple.fr"),
        "former": UserFactory(email="ancien@exemple.fr"),
        "outsider": UserFactory(email="ailleurs@exemple.fr"),
        "staff": UserFactory(staff=True, email="staff@exemple.fr"),
    }
    incubator.coaches.add(world["coach"], world["other_coach"])
    cohort.coaches.add(world["cohort_coach"])
    startup = StartupFactory(
        name="Dites-le-nous", incubator=incubator, cohort=cohort, started_on=D(2024, 1, 15)
    )
    Membership.objects.create(startup=startup, user=world["agent"], role=MembershipRole.AGENT)
    Membership.objects.create(startup=startup, user=world["teammate"], role=MembershipRole.TEAM)
    Membership.objects.create(
        startup=startup,
        user=world["former"],
        role=MembershipRole.TEAM,
        start_date=D(2024, 1, 15),
        end_date=D(2024, 6, 1),
    )
    world["startup"] = startup
    return world


def emails(people, *names) -> set[str]:
    return {people[name].email for name in names}


TEAM_AND_COACHES = ("agent", "teammate", "coach", "other_coach", "cohort_coach")


# --- 1. Phase decisions ------------------------------------------------------------------


def advance(people, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return services.startup_change_phase(
            startup=people["startup"],
            to_phase=Phase.CONSTRUCTION,
            actor=people["coach"],
            on=TODAY,
            rationale="Problème confirmé par 40 entretiens.",
            **kwargs,
        )


def test_a_phase_decision_emails_the_team_and_coaches_but_not_who_decided(
    people, django_capture_on_commit_callbacks
):
    transition = advance(people, django_capture_on_commit_callbacks)

    assert recipients() == emails(people, "agent", "teammate", "other_coach", "cohort_coach")
    assert all(len(message.to) == 1 for message in mail.outbox)  # nobody sees the others
    message = next(m for m in mail.outbox if m.to == ["agent@exemple.fr"])
    assert message.subject == ("[Territoires Lab] Dites-le-nous passe en phase « Construction »")
    assert message.body.startswith("Bonjour Alex Agent,\n\n")
    assert "Camille Coach a enregistré une décision de phase pour Dites-le-nous" in message.body
    assert "passage de la phase « Investigation » à la phase « Construction »." in message.body
    assert "Problème confirmé par 40 entretiens." in message.body
    assert startup_url(people["startup"]) in message.body
    assert "&" not in message.body and "&#x27;" not in message.subject  # plain text, unescaped
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert NotificationLog.objects.filter(key=f"phase-decision:{transition.pk}").exists()


def test_a_retried_phase_decision_task_sends_nothing_twice(
    people, django_capture_on_commit_callbacks
):
    transition = advance(people, django_capture_on_commit_callbacks)
    sent = len(mail.outbox)

    assert tasks.send_phase_decision.call(transition.pk) == 0
    notifications.phase_decision_recorded(transition.pk)

    assert len(mail.outbox) == sent == 4


def test_pivot_stop_and_reopening_have_their_own_subject(
    people, django_capture_on_commit_callbacks
):
    startup, coach = people["startup"], people["coach"]
    advance(people, django_capture_on_commit_callbacks)
    subjects = []
    for change in (
        lambda: services.startup_change_phase(
            startup=startup,
            to_phase=Phase.INVESTIGATION,
            actor=coach,
            on=TODAY,
            rationale="Le besoin est ailleurs.",
            pivot=True,
        ),
        lambda: (
            document_stop(startup, author=coach, on=TODAY),
            services.startup_change_phase(
                startup=startup,
                to_phase=Phase.ABANDONED,
                actor=coach,
                on=TODAY,
                rationale="Pas de besoin réel.",
            ),
        ),
        lambda: services.startup_reopen(
            startup=startup,
            to_phase=Phase.INVESTIGATION,
            actor=people["staff"],
            on=TODAY,
            rationale="Un autre territoire reprend le problème.",
        ),
    ):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            change()
        subjects.append(next(m for m in mail.outbox if m.to == ["agent@exemple.fr"]).subject)

    assert subjects == [
        "[Territoires Lab] Dites-le-nous pivote et revient en phase « Investigation »",
        "[Territoires Lab] Dites-le-nous est arrêtée",
        "[Territoires Lab] Dites-le-nous est rouverte en phase « Investigation »",
    ]
    # Staff reopened it: the coach who is not the decider is told this time.
    assert "coach@exemple.fr" in recipients()
    assert "staff@exemple.fr" not in recipients()


def test_a_rolled_back_phase_change_sends_nothing(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.startup_change_phase(
                startup=people["startup"],
                to_phase=Phase.CONSTRUCTION,
                actor=people["coach"],
                on=TODAY,
                rationale="Problème confirmé.",
            )
            raise RuntimeError("la page a planté après la décision")

    assert callbacks == [] and mail.outbox == []
    assert not PhaseTransition.objects.filter(kind=TransitionKind.ADVANCE).exists()


def test_a_refused_phase_change_sends_nothing(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
        services.startup_change_phase(
            startup=people["startup"],
            to_phase=Phase.ACCELERATION,
            actor=people["coach"],
            on=TODAY,
            rationale="Trop vite.",
        )
    assert mail.outbox == []


def test_creations_and_imported_history_email_nobody(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = StartupFactory(incubator=people["startup"].incubator)
        services.startup_sync_imported_phases(
            startup=created,
            phases=[(Phase.INVESTIGATION, D(2024, 1, 15)), (Phase.CONSTRUCTION, D(2024, 9, 1))],
            rationale="Import beta.gouv.fr",
        )
    imported = created.transitions.get(kind=TransitionKind.ADVANCE)
    start = people["startup"].transitions.get(kind=TransitionKind.START)

    # Even if a task were enqueued for them, imported rows (no decider) and starts tell nobody.
    assert tasks.send_phase_decision.call(imported.pk) == 0
    assert tasks.send_phase_decision.call(start.pk) == 0
    assert mail.outbox == []
    assert not NotificationLog.objects.exists()


# --- 2. Committees due soon or overdue -------------------------------------------------------


def record_review(people, *, on, next_review_date, decision=ReviewDecision.CONTINUE):
    return services.review_record(
        startup=people["startup"],
        date=on,
        decision=decision,
        actor=people["coach"],
        next_review_date=next_review_date,
    )


def test_a_committee_in_seven_days_is_announced_once_to_coaches_and_team(people):
    record_review(people, on=TODAY - days(170), next_review_date=TODAY + days(7))

    output = run("send_notifications", "--today", TODAY.isoformat())

    assert recipients() == emails(people, *TEAM_AND_COACHES)
    message = next(m for m in mail.outbox if m.to == ["coach@exemple.fr"])
    due = TODAY + days(7)
    assert message.subject.startswith("[Territoires Lab] Comité de Dites-le-nous prévu le ")
    assert f"prévu le {due.day} " in message.subject
    assert "est prévu le" in message.body and "dans 7 jours" in message.body
    assert startup_url(people["startup"]) in message.body
    assert "Comité dans les 7 jours : 1 notification, 5 destinataire(s)" in output
    assert "5 e-mail(s) envoyé(s)" in output
    key = f"review-soon:{people['startup'].pk}:{due.isoformat()}"
    assert NotificationLog.objects.filter(key=key).exists()

    mail.outbox.clear()
    # The next days, the same committee is not announced again.
    for later in (TODAY, TODAY + days(1), TODAY + days(6)):
        assert "Rien à envoyer." in run("send_notifications", "--today", later.isoformat())
    assert mail.outbox == []


def test_a_committee_further_away_or_no_committee_at_all_is_not_due(people):
    assert "Rien à envoyer." in run("send_notifications", "--today", TODAY.isoformat())
    record_review(people, on=TODAY - days(10), next_review_date=TODAY + days(8))
    assert "Rien à envoyer." in run("send_notifications", "--today", TODAY.isoformat())
    assert mail.outbox == []


def test_a_missed_committee_is_reported_once_as_overdue(people):
    due = TODAY - days(3)
    record_review(people, on=TODAY - days(180), next_review_date=due)
    # The soon notice of that committee was sent a week before.
    run("send_notifications", "--today", (due - days(7)).isoformat())
    mail.outbox.clear()

    output = run("send_notifications", "--today", TODAY.isoformat())
    run("send_notifications", "--today", TODAY.isoformat())

    assert recipients() == emails(people, *TEAM_AND_COACHES)
    assert len(mail.outbox) == 5
    message = mail.outbox[0]
    assert message.subject.startswith("[Territoires Lab] Comité de Dites-le-nous en retard")
    assert "il y a 3 jours, et aucun comité n’a été enregistré depuis" in message.body
    assert "Comité en retard : 1 notification" in output
    assert NotificationLog.objects.filter(
        key=f"review-overdue:{people['startup'].pk}:{due.isoformat()}"
    ).exists()


def test_only_the_latest_live_review_counts(people):
    old = record_review(people, on=TODAY - days(200), next_review_date=TODAY - days(20))
    record_review(people, on=TODAY - days(15), next_review_date=TODAY + days(60))
    run("send_notifications", "--today", TODAY.isoformat())
    assert mail.outbox == []  # the later committee set a date two months away

    newest = people["startup"].reviews.order_by("-date").first()
    services.archive(obj=newest, actor=people["coach"])
    run("send_notifications", "--today", TODAY.isoformat())
    assert "en retard" in mail.outbox[0].subject  # back to the older review's missed date
    assert old.next_review_date.strftime("%Y") in mail.outbox[0].subject


def test_stopped_and_archived_startups_get_no_committee_reminder(people):
    record_review(people, on=TODAY - days(170), next_review_date=TODAY + days(2))
    services.archive(obj=people["startup"], actor=people["coach"])
    assert "Rien à envoyer." in run("send_notifications", "--today", TODAY.isoformat())


# --- 4. Inactivity -----------------------------------------------------------------------------


def test_silence_escalates_from_team_to_coaches_to_staff_once_each(people):
    startup = people["startup"]
    last = D(2025, 3, 3)
    set_last_activity(startup, last)
    staff_role_only = UserFactory(email="equipe-incubateur@exemple.fr", role="staff")
    superuser = UserFactory(superuser=True, email="admin@exemple.fr")

    run("send_notifications", "--today", (last + days(29)).isoformat())
    assert mail.outbox == []

    run("send_notifications", "--today", (last + days(30)).isoformat())
    assert recipients() == emails(people, "agent", "teammate")
    message = mail.outbox[0]
    assert message.subject == (
        "[Territoires Lab] Dites-le-nous : aucune mise à jour depuis 30 jours"
    )
    assert "Aucune mise à jour de Dites-le-nous n’a été enregistrée depuis le 3 mars 2025" in (
        message.body
    )
    assert "jalons atteints ou manqués" in message.body
    assert startup_url(startup) in message.body

    mail.outbox.clear()
    run("send_notifications", "--today", (last + days(45)).isoformat())
    assert mail.outbox == []

    run("send_notifications", "--today", (last + days(60)).isoformat())
    assert recipients() == emails(people, "coach", "other_coach", "cohort_coach")
    assert "aucune mise à jour depuis 60 jours" in mail.outbox[0].subject
    assert "En tant que coach" in mail.outbox[0].body

    mail.outbox.clear()
    run("send_notifications", "--today", (last + days(90)).isoformat())
    assert recipients() == {"staff@exemple.fr", staff_role_only.email, superuser.email}
    assert "aucune mise à jour depuis 90 jours" in mail.outbox[0].subject
    assert "l’équipe de l’incubateur" in mail.outbox[0].body

    mail.outbox.clear()
    run("send_notifications", "--today", (last + days(120)).isoformat())
    assert mail.outbox == []
    assert NotificationLog.objects.filter(key=f"inactive-90:{startup.pk}:2025-03-03").exists()


def test_a_new_update_starts_a_new_period_of_silence(people):
    startup = people["startup"]
    set_last_activity(startup, D(2025, 3, 3))
    run("send_notifications", "--today", "2025-04-02")
    assert len(mail.outbox) == 2

    set_last_activity(startup, D(2025, 4, 10))  # the team wrote something
    mail.outbox.clear()
    run("send_notifications", "--today", "2025-05-01")
    assert mail.outbox == []
    run("send_notifications", "--today", "2025-05-10")
    assert recipients() == emails(people, "agent", "teammate")
    assert "depuis le 10 avril 2025" in mail.outbox[0].body


def test_a_startup_never_updated_gets_every_level_once_on_the_first_run(people):
    set_last_activity(people["startup"], None)

    output = run("send_notifications", "--today", TODAY.isoformat())
    run("send_notifications", "--today", TODAY.isoformat())

    assert recipients() == emails(people, *TEAM_AND_COACHES, "staff")
    assert len(mail.outbox) == 6
    assert "n’a encore été enregistrée" in mail.outbox[0].body
    assert "Sans mise à jour depuis 30 jours (équipe) : 1 notification, 2 destinataire(s)" in (
        output
    )
    assert "Sans mise à jour depuis 90 jours (équipe de l’incubateur)" in output
    assert NotificationLog.objects.filter(key=f"inactive-30:{people['startup'].pk}:never").exists()


def test_terminal_and_archived_startups_get_no_inactivity_reminder(people):
    stopped = StartupFactory(incubator=people["startup"].incubator)
    document_stop(stopped, on=TODAY)
    services.startup_change_phase(
        startup=stopped, to_phase=Phase.ABANDONED, actor=None, on=TODAY, rationale="Arrêt."
    )
    services.archive(obj=people["startup"], actor=None)
    for startup in (stopped, people["startup"]):
        set_last_activity(startup, D(2024, 1, 1))

    assert "Rien à envoyer." in run("send_notifications", "--today", TODAY.isoformat())


def test_a_reminder_is_dropped_when_the_startup_was_updated_before_the_task_ran(people):
    startup = people["startup"]
    set_last_activity(startup, D(2025, 3, 3))
    (notice,) = notifications.inactivity_notices(today=D(2025, 4, 2))
    set_last_activity(startup, D(2025, 4, 1))

    assert tasks.send_inactivity_reminder.call(*notice.args) == 0
    assert mail.outbox == []


# --- 5. Commands --------------------------------------------------------------------------------


def test_dry_run_lists_what_would_be_sent_and_sends_nothing(people):
    set_last_activity(people["startup"], TODAY - days(40))

    output = run("send_notifications", "--today", TODAY.isoformat(), "--dry-run")

    assert "Simulation : aucun e-mail n’est envoyé" in output
    assert "Sans mise à jour depuis 30 jours (équipe) : 1 notification" in output
    assert "  - Dites-le-nous" in output
    assert mail.outbox == [] and not NotificationLog.objects.exists()


def test_a_bad_date_is_refused_in_french():
    with pytest.raises(CommandError, match="n’est pas une date au format AAAA-MM-JJ"):
        call_command("send_notifications", "--today", "12/05/2025")


def test_the_summary_is_in_french_with_the_day():
    output = run("send_notifications", "--today", "2025-05-12")
    assert output.splitlines() == ["Notifications du 12 mai 2025", "Rien à envoyer."]


def test_a_failing_mail_server_records_nothing_and_the_command_fails(people, monkeypatch):
    set_last_activity(people["startup"], TODAY - days(40))

    def broken(self, messages):
        raise OSError("serveur SMTP injoignable")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    with pytest.raises(CommandError, match="1 notification non envoyée"):
        run("send_notifications", "--today", TODAY.isoformat())
    assert not NotificationLog.objects.exists()  # the next run tries again

    monkeypatch.undo()
    run("send_notifications", "--today", TODAY.isoformat())
    assert recipients() == emails(people, "agent", "teammate")


# --- 3. Weekly digest ---------------------------------------------------------------------------


@pytest.fixture
def quiet_startup(people):
    """A startup of the same incubator with nothing to flag: fresh, staffed, sponsored."""
    startup = StartupFactory(
        name="Tout va bien", incubator=people["startup"].incubator, started_on=TODAY - days(10)
    )
    Membership.objects.create(
        startup=startup,
        user=people["agent"],
        role=MembershipRole.AGENT,
        start_date=TODAY - days(10),
    )
    Sponsorship.objects.create(
        startup=startup, territory=TerritoryFactory(), commitment_signed_on=TODAY
    )
    return startup


def test_the_weekly_digest_lists_each_coachs_alerts_once_a_week(people, quiet_startup):
    set_last_activity(people["startup"], TODAY - days(45))
    monday = TODAY - days(TODAY.weekday())
    year, week, _ = monday.isocalendar()

    output = run("send_weekly_digest", "--today", monday.isoformat())

    # Incubator and cohort coaches; not the team, not staff who coach nothing.
    assert recipients() == emails(people, "coach", "other_coach", "cohort_coach")
    message = next(m for m in mail.outbox if m.to == ["coach@exemple.fr"])
    assert message.subject == "[Territoires Lab] Récapitulatif de la semaine : 1 startup à suivre"
    assert "Dites-le-nous\n  - " in message.body
    assert "Aucune mise à jour depuis" in message.body
    assert "Aucun engagement de sponsor signé" in message.body
    assert startup_url(people["startup"]) in message.body
    assert "Tout va bien" not in message.body
    assert settings.SITE_URL + reverse("account_profile") in message.body
    assert settings.SITE_URL + reverse("workspace:home") in message.body
    assert "Récapitulatif hebdomadaire : 3 notifications, 3 destinataire(s)" in output
    coach = people["coach"]
    assert NotificationLog.objects.filter(key=f"digest:{coach.pk}:{year}-W{week:02d}").exists()

    mail.outbox.clear()
    run("send_weekly_digest", "--today", (monday + days(6)).isoformat())  # Sunday, same week
    assert mail.outbox == []
    run("send_weekly_digest", "--today", (monday + days(7)).isoformat())
    assert len(mail.outbox) == 3


def test_no_digest_for_who_turned_it_off_nor_for_a_coach_with_nothing_to_flag(
    people, quiet_startup
):
    User.objects.filter(pk=people["other_coach"].pk).update(receives_digests=False)
    calm_coach = UserFactory(coach=True, email="coach-serein@exemple.fr")
    calm_incubator = IncubatorFactory()
    calm_incubator.coaches.add(calm_coach)
    quiet_startup.incubator = calm_incubator
    quiet_startup.save(update_fields=["incubator"])
    lone_coach = UserFactory(coach=True, email="coach-sans-startup@exemple.fr")

    run("send_weekly_digest", "--today", TODAY.isoformat())

    assert recipients() == emails(people, "coach", "cohort_coach")
    assert {"coach-serein@exemple.fr", lone_coach.email}.isdisjoint(recipients())
    # Opting out after planning still wins when the task runs.
    assert (
        tasks.send_weekly_digest.call(people["other_coach"].pk, (TODAY + days(7)).isoformat()) == 0
    )


def test_a_staff_member_who_coaches_gets_the_digest_of_the_whole_network(people, quiet_startup):
    elsewhere = StartupFactory(name="Ailleurs", started_on=TODAY - days(10))
    people["startup"].incubator.coaches.add(people["staff"])

    run("send_weekly_digest", "--today", TODAY.isoformat())

    message = next(m for m in mail.outbox if m.to == ["staff@exemple.fr"])
    assert "Ailleurs" in message.body and "Dites-le-nous" in message.body
    assert elsewhere.incubator != people["startup"].incubator


# --- 6. Turning digests off ------------------------------------------------------------------


def test_the_profile_page_turns_the_digest_off(client, people):
    coach = people["agent"]  # any user may; agents are not asked for MFA
    client.force_login(coach)

    page = client.get(reverse("account_profile")).content.decode()
    assert "Recevoir le récapitulatif hebdomadaire par e-mail" in page
    assert 'name="receives_digests"' in page and "checked" in page

    response = client.post(reverse("account_profile"), {"display_name": "Alex Agent"})

    assert response.status_code == 302
    coach.refresh_from_db()
    assert coach.receives_digests is False
    client.post(
        reverse("account_profile"), {"display_name": "Alex Agent", "receives_digests": "on"}
    )
    coach.refresh_from_db()
    assert coach.receives_digests is True
