"""Demo programme data: contributions, and an open call with applications (development only)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from reportlab.pdfgen import canvas

from accounts.models import User
from incubator.models import Territory, Theme
from programs import billing, services
from programs.models import (
    CallForProjects,
    CallQuestion,
    Cohort,
    Contribution,
    ContributionStatus,
    PaymentMethod,
    Program,
    QuestionKind,
    SelectionCriterion,
)


@transaction.atomic
def seed_demo_contributions(users) -> int:
    """Last year's and this year's contributions, as the yearly run makes them: last
    year's paid by bank transfer, a third of this year's by administrative mandate."""
    today = timezone.localdate()
    staff = users["admin"]
    for year in (today.year - 1, today.year):
        billing.contributions_generate(year, today=datetime.date(year, 1, 2))
    unpaid = Contribution.objects.filter(paid_cents=0, status=ContributionStatus.DUE)
    for index, contribution in enumerate(unpaid.order_by("pk")):
        if contribution.year == today.year and index % 3:
            continue
        last_year = contribution.year < today.year
        billing.payment_record_manual(
            contribution,
            method=PaymentMethod.BANK_TRANSFER if last_year else PaymentMethod.ADMINISTRATIVE,
            amount_cents=contribution.remaining_cents,
            paid_on=min(contribution.due_date, today),
            reference=f"VIR-{contribution.year}-{contribution.pk:04d}"
            if last_year
            else f"MANDAT-{contribution.pk:05d}",
            recorded_by=staff,
        )
    return Contribution.objects.count()


# label, help text, kind, choices, required: the questions of the demo call.
DEMO_QUESTIONS = [
    ("Service qui porte le projet", "", QuestionKind.TEXT, "", True),
    (
        "Comment le problème se voit-il aujourd’hui ?",
        "Chiffres, témoignages d’usagers ou d’agents : ce que vous avez déjà constaté.",
        QuestionKind.LONG_TEXT,
        "",
        True,
    ),
    (
        "Taille de la population concernée",
        "",
        QuestionKind.CHOICE,
        "Moins de 10 000 habitants\nDe 10 000 à 100 000 habitants\nPlus de 100 000 habitants",
        True,
    ),
    (
        "Votre hiérarchie vous libère-t-elle au moins 4 jours par semaine ?",
        "",
        QuestionKind.YES_NO,
        "",
        True,
    ),
    (
        "Lettre de soutien du territoire",
        "PDF, ODT ou DOCX signé par l’élu ou la direction qui soutient le projet.",
        QuestionKind.FILE,
        "",
        False,
    ),
]

# weight, label: how the committee scores (0 to 5 per criterion).
DEMO_CRITERIA = [
    (3, "Importance du problème pour les usagers"),
    (2, "Engagement du territoire sponsor"),
    (2, "Capacité à expérimenter vite avec de vrais usagers"),
]

# applicant e-mail, name, title, problem, territory slug, themes, answers (in question order)
DEMO_APPLICATIONS = [
    (
        "ines.marchand@demo.example",
        "Inès Marchand",
        "Covoiturage des soignants à domicile",
        "Les aides à domicile du Pays de Craon font chacune leur tournée en voiture : "
        "des kilomètres et du temps perdus, des usagers isolés visités trop rarement.",
        "cc-du-pays-de-craon",
        ["Mobilité", "Santé"],
        [
            "Service autonomie",
            "12 aides à domicile, 40 000 km par an.",
            "Moins de 10 000 habitants",
            True,
        ],
    ),
    (
        "paul.lefevre@demo.example",
        "Paul Lefèvre",
        "Inscription en ligne à la cantine scolaire",
        "Les familles de Brest s’inscrivent à la cantine sur papier chaque trimestre ; "
        "les erreurs de facturation créent des impayés et des files d’attente en mairie.",
        "ville-de-brest",
        ["Éducation", "Alimentation", "Démarches administratives"],
        [
            "Direction de l’éducation",
            "3 000 dossiers papier par trimestre, 8 % d’erreurs.",
            "De 10 000 à 100 000 habitants",
            True,
        ],
    ),
]


def _demo_letter() -> SimpleUploadedFile:
    """A real one-page PDF: uploads are checked by content, not by name."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 760, "Lettre de soutien (démonstration)")
    pdf.save()
    return SimpleUploadedFile("lettre-de-soutien.pdf", buffer.getvalue(), "application/pdf")


@transaction.atomic
def seed_demo_calls(users) -> None:
    """An open call of the coach's programme, with two applications sent by other agents.

    The demo agent has none, so the whole applicant journey can be tried; the coach
    finds one application to score and one already shortlisted. Idempotent."""
    coach = users["coach"]
    program = Program.objects.filter(incubator__coaches=coach).order_by("pk").first()
    if program is None or CallForProjects.objects.filter(program=program).exists():
        return
    today = timezone.localdate()
    Cohort.objects.get_or_create(
        slug=f"{program.slug}-{today.year + 1}",
        defaults={
            "program": program,
            "name": f"Promotion {today.year + 1}",
            "start_date": datetime.date(today.year + 1, 1, 12),
        },
    )[0].coaches.add(coach)
    for order, (weight, label) in enumerate(DEMO_CRITERIA):
        SelectionCriterion.objects.get_or_create(
            program=program, label=label, defaults={"weight": weight, "order": order}
        )
    call = CallForProjects.objects.create(
        program=program,
        title=f"Appel à projets {today.year + 1}",
        slug=f"{program.slug}-appel-{today.year + 1}",
        introduction=(
            "Vous êtes agent d’une collectivité et un problème du service public vous "
            "empêche de dormir ? Proposez-le : les projets retenus entrent en investigation "
            "dans la promotion de janvier, accompagnés par nos coachs."
        ),
        opens_on=today - datetime.timedelta(days=20),
        closes_at=timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=40), datetime.time(23, 59))
        ),
    )
    questions = [
        CallQuestion.objects.create(
            call=call,
            sort_order=order,
            label=label,
            help_text=help_text,
            kind=kind,
            choices=choices,
            required=required,
        )
        for order, (label, help_text, kind, choices, required) in enumerate(DEMO_QUESTIONS)
    ]
    criteria = list(program.selection_criteria.all())
    for index, (email, name, title, problem, territory, themes, answers) in enumerate(
        DEMO_APPLICATIONS
    ):
        applicant, created = User.objects.get_or_create(
            email=email, defaults={"display_name": name}
        )
        if created:
            applicant.set_unusable_password()  # demo applicants, not published logins
            applicant.save(update_fields=["password"])
        application = services.application_save_draft(
            call=call,
            applicant=applicant,
            title=title,
            problem_statement=problem,
            themes=Theme.objects.filter(name__in=themes),
            sponsor_territory=Territory.objects.get(slug=territory),
            sponsor_contact_name="Claire Dumont",
            sponsor_contact_email=f"contact@{territory}.demo.example",
            sponsor_contact_role="Directrice générale des services",
            answers={
                question.pk: answer for question, answer in zip(questions, answers, strict=False)
            },
        )
        services.application_add_document(application, uploaded_file=_demo_letter(), user=applicant)
        services.application_submit(application, user=applicant)
        if index == 0:  # the committee has started on the first one
            for criterion, score in zip(criteria, (4, 5, 3), strict=False):
                services.application_score(
                    application, coach=coach, criterion=criterion, score=score
                )
            services.application_comment(
                application,
                author=coach,
                body="Problème bien mesuré ; vérifier que le service autonomie libère l’agente.",
            )
            services.application_shortlist(application, coach=coach)
