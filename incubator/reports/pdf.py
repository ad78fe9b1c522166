"""PDF rendering of report data (reportlab platypus): bytes in, nothing read from the database.

    render_startup_report(report) -> bytes
    render_cohort_report(report) -> bytes

A4, French formatting, "Page N sur M" footers; the toolkit is in `pdf_kit`,
the charts in `pdf_charts`.
"""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reportlab.platypus import KeepTogether, Paragraph, Spacer
from reportlab.platypus.flowables import HRFlowable

from incubator.enums import TERMINAL_PHASES
from incubator.reports.data import CohortReport, StartupReport
from incubator.reports.formatting import (
    fr_date,
    fr_days,
    fr_euros,
    fr_months,
    fr_number,
    fr_percent,
    fr_period,
    fr_short_date,
)
from incubator.reports.pdf_charts import funnel_chart, phase_timeline, time_chart
from incubator.reports.pdf_kit import (
    BLUE,
    GREEN_HEX,
    RED_HEX,
    Kit,
    build_pdf,
    font_set,
    sources_section,
    version_text,
)
from incubator.reports.sentences import indicator_sentence, phase_sentence

# --- Startup report -------------------------------------------------------------------


def _title_block(kit: Kit, *, kicker: str, title: str, subtitle: str, pairs) -> list:
    story = [
        kit.p(kicker.upper(), kit.kicker),
        kit.p(title, kit.title),
        Spacer(1, 4),
    ]
    if subtitle:
        story.append(kit.p(subtitle, kit.subtitle))
    story += [
        kit.key_values(pairs),
        Spacer(1, 6),
        HRFlowable(width="100%", thickness=1.5, color=BLUE, spaceBefore=2, spaceAfter=4),
    ]
    return story


def _startup_project(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Le projet"))
    story.append(kit.p(_("Problème"), kit.h2))
    story.append(kit.p(report.problem or _("Non renseigné.")))
    story.append(kit.p(_("Territoires sponsors"), kit.h2))
    if report.sponsors:
        rows = [(s.name, fr_euros(s.amount_cents)) for s in report.sponsors]
        rows.append((_("Total"), fr_euros(sum(s.amount_cents for s in report.sponsors))))
        story.append(
            kit.table(
                [_("Territoire"), _("Montant engagé")],
                rows,
                [3, 1],
                align_right={1},
                total_row=True,
            )
        )
    else:
        story.append(kit.p(_("Aucun territoire sponsor enregistré.")))
    story.append(kit.p(_("Équipe sur la période"), kit.h2))
    if not report.team:
        story.append(kit.p(_("Aucun membre enregistré sur la période.")))
    elif report.public:
        story.append(
            kit.table(
                [_("Rôle"), _("Nombre de personnes")],
                [(m.role, fr_number(m.count)) for m in report.team],
                [3, 1],
                align_right={1},
            )
        )
        story.append(kit.p(_("Version publique : les rôles seulement, sans les noms."), kit.small))
    else:
        story.append(
            kit.table([_("Rôle"), _("Nom")], [(m.role, m.name) for m in report.team], [1, 2])
        )
    return story


def _phase_row(span, as_of: datetime.date) -> tuple:
    if span.end is None and span.phase in TERMINAL_PHASES:
        end, duration = "—", "—"  # an outcome, not a stay
    else:
        end = fr_short_date(span.end) if span.end else _("en cours")
        duration = fr_days(((span.end or as_of) - span.start).days)
    maximum = fr_months(span.max_months) if span.max_months else "—"
    return (span.label, fr_short_date(span.start), end, duration, maximum)


def _startup_phases(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Parcours et phases"))
    story.append(kit.p(phase_sentence(report)))
    if not report.phases:
        return story
    story.append(KeepTogether([phase_timeline(kit, report), Spacer(1, 4)]))
    story.append(
        kit.table(
            [_("Phase"), _("Début"), _("Fin"), _("Durée"), _("Maximum prévu")],
            [_phase_row(span, report.as_of) for span in report.phases],
            [2, 1.3, 1.3, 1.3, 1.3],
            align_right={3, 4},
        )
    )
    return story


def _startup_milestones(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Jalons de la période"))
    if not report.milestones_achieved and not report.milestones_missed:
        story.append(kit.p(_("Aucun jalon atteint ni manqué sur la période.")))
        return story
    if report.milestones_achieved:
        story.append(
            kit.p(_("Atteints (%(count)d)") % {"count": len(report.milestones_achieved)}, kit.h2)
        )
        story.append(
            kit.table(
                [_("Jalon"), _("Atteint le")],
                [(m.title, fr_short_date(m.achieved_on)) for m in report.milestones_achieved],
                [4, 1],
            )
        )
    if report.milestones_missed:
        story.append(
            kit.p(_("Manqués (%(count)d)") % {"count": len(report.milestones_missed)}, kit.h2)
        )
        story.append(
            kit.table(
                [_("Jalon"), _("Échéance")],
                [(m.title, fr_short_date(m.due_date)) for m in report.milestones_missed],
                [4, 1],
            )
        )
    return story


def _startup_experiments(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Expérimentations"))
    if not report.experiments:
        story.append(kit.p(_("Aucune expérimentation en cours ou menée sur la période.")))
        return story
    for experiment in report.experiments:
        dates = (
            fr_period(experiment.start_date, experiment.end_date)
            if experiment.end_date
            else _("depuis le %(date)s") % {"date": fr_date(experiment.start_date)}
        )
        where = experiment.territory or _("territoire non précisé")
        colour = {"validated": GREEN_HEX, "invalidated": RED_HEX}.get(experiment.outcome, "#666666")
        block = [
            kit.p(experiment.hypothesis, kit.h2),
            kit.markup(
                f'<font color="{colour}"><b>{kit.text(experiment.outcome_label)}</b></font>'
                f" · {kit.text(where)} · {kit.text(dates)}"
            ),
            kit.labelled(_("Critère de réussite :"), experiment.success_criterion),
        ]
        if experiment.learnings:
            block.append(kit.labelled(_("Enseignements :"), experiment.learnings))
        story.append(KeepTogether(block))
    return story


def _startup_indicators(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Indicateurs d’impact"))
    if report.public:
        story.append(
            kit.p(_("Seuls les indicateurs publics figurent dans cette version."), kit.small)
        )
    if not report.indicators:
        story.append(kit.p(_("Aucun indicateur d’impact défini.")))
        return story
    for indicator in report.indicators:
        name = f"{indicator.name} ({indicator.unit})" if indicator.unit else indicator.name
        block = [kit.p(name, kit.h2), kit.p(indicator_sentence(indicator))]
        if indicator.points:
            block.append(
                time_chart(
                    kit,
                    [(point.date, float(point.value)) for point in indicator.points],
                    target=float(indicator.target) if indicator.target is not None else None,
                )
            )
        story.append(KeepTogether(block))
    return story


def _startup_reviews(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Comités et décisions"))
    if not report.reviews:
        story.append(kit.p(_("Aucun comité sur la période.")))
        return story
    if report.public:
        story.append(
            kit.table(
                [_("Date"), _("Décision"), _("Prochain comité")],
                [
                    (fr_short_date(r.date), r.decision_label, fr_short_date(r.next_review_date))
                    for r in report.reviews
                ],
                [1, 2.5, 1.2],
            )
        )
        return story
    rows = []
    for review in report.reviews:
        details = "\n".join(
            text
            for text in (
                _("Conditions : %(text)s") % {"text": review.conditions}
                if review.conditions
                else "",
                _("Notes : %(text)s") % {"text": review.notes} if review.notes else "",
            )
            if text
        )
        rows.append(
            (
                fr_short_date(review.date),
                review.decision_label,
                fr_euros(review.budget_granted_cents),
                details or "—",
            )
        )
    story.append(
        kit.table(
            [_("Date"), _("Décision"), _("Budget accordé"), _("Conditions et notes")],
            rows,
            [1, 1.5, 1.2, 3],
            align_right={2},
        )
    )
    return story


def _lesson_paragraph(kit: Kit, lesson, *, with_startup: bool = False) -> Paragraph:
    title = kit.text(lesson.title)
    if with_startup and lesson.startup_name:
        title += f" <font color='#666666'>({kit.text(lesson.startup_name)})</font>"
    return kit.markup(f"<b>{title}</b> — {kit.text(lesson.body)}")


def _startup_failures(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Échecs et leçons"))
    if report.public:
        story.append(
            kit.p(
                _(
                    "Seuls les retours d’expérience dont l’équipe a accepté la publication, "
                    "et les leçons publiques, figurent dans cette version."
                ),
                kit.small,
            )
        )
    if not report.failures and not report.other_lessons:
        story.append(kit.p(_("Aucun échec ni leçon documentés à cette date.")))
        return story
    for failure in report.failures:
        block = [
            kit.p(
                _("%(scope)s — %(date)s")
                % {"scope": failure.scope_label, "date": fr_date(failure.occurred_on)},
                kit.h2,
            ),
            kit.labelled(_("Cause principale :"), failure.reason_label),
        ]
        for label, value in (
            (_("Ce que nous avons appris :"), failure.what_we_learned),
            (_("Pourquoi nous arrêtons :"), failure.why_we_stop),
            (_("Conseils pour qui relancerait le projet :"), failure.advice_for_relaunch),
        ):
            if value:
                block.append(kit.labelled(label, value))
        story.append(KeepTogether(block))
        if failure.lessons:
            story.append(kit.bold(_("Leçons tirées")))
            story.append(
                kit.bullets([_lesson_paragraph(kit, lesson) for lesson in failure.lessons])
            )
    if report.other_lessons:
        story.append(kit.p(_("Autres leçons"), kit.h2))
        story.append(
            kit.bullets([_lesson_paragraph(kit, lesson) for lesson in report.other_lessons])
        )
    return story


def _startup_impact(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Impact et coûts"))
    yes, no = _("Oui"), _("Non")
    rows = [
        (
            criterion.label,
            kit.bold(
                yes if criterion.met else no,
                colour=GREEN_HEX if criterion.met else RED_HEX,
                style=kit.cell,
            ),
            criterion.evidence,
        )
        for criterion in report.impact
    ]
    story.append(
        kit.table(
            [_("Le service est-il…"), _("Constat"), _("Sur quoi repose ce constat")],
            rows,
            [1.2, 0.8, 4.5],
        )
    )
    story.append(Spacer(1, 8))

    costs = report.costs
    story.append(kit.p(_("Coûts"), kit.h2))
    story.append(
        kit.table(
            [_("Mesure"), _("Valeur")],
            [
                (
                    _("Financements accordés sur la période"),
                    fr_euros(costs.funding_in_period_cents),
                ),
                (
                    _("Financements cumulés au %(date)s") % {"date": fr_date(report.period.end)},
                    fr_euros(costs.funding_total_cents),
                ),
                (
                    _("Usagers actifs (dernière mesure)"),
                    fr_number(costs.active_users)
                    if costs.active_users is not None
                    else _("non mesuré"),
                ),
                (
                    _("Coût par usager actif"),
                    fr_euros(costs.cost_per_user_cents)
                    if costs.cost_per_user_cents is not None
                    else _("non calculable"),
                ),
            ],
            [3, 1.3],
            align_right={1},
        )
    )
    if costs.users_indicator:
        method = _(
            "Coût par usager actif : financements cumulés divisés par la dernière valeur "
            "de « %(name)s »."
        ) % {"name": costs.users_indicator}
    else:
        method = _(
            "Le coût par usager actif demande un indicateur d’usagers ou d’utilisateurs mesuré."
        )
    story.append(kit.p(method, kit.small))
    return story


def _startup_next_steps(kit: Kit, report: StartupReport) -> list:
    story = kit.heading(_("Prochaines étapes"))
    if report.next_review_date:
        story.append(kit.labelled(_("Prochain comité :"), fr_date(report.next_review_date)))
    else:
        story.append(kit.p(_("Aucun comité programmé.")))
    if report.planned_milestones:
        story.append(
            kit.table(
                [_("Jalon prévu"), _("Échéance")],
                [(m.title, fr_short_date(m.due_date)) for m in report.planned_milestones],
                [4, 1],
            )
        )
    else:
        story.append(kit.p(_("Aucun jalon prévu.")))
    return story


def render_startup_report(report: StartupReport) -> bytes:
    """The startup progress report as PDF bytes."""
    kit = Kit(font_set())
    period = fr_period(report.period.start, report.period.end)
    version = _("version publique") if report.public else _("version interne")
    programme = " — ".join(filter(None, [report.program, report.cohort])) or _("Hors promotion")
    story = _title_block(
        kit,
        kicker=_("Rapport de progression · %(version)s") % {"version": version},
        title=report.name,
        subtitle=report.pitch,
        pairs=[
            (_("Période"), period),
            (_("Incubateur"), report.incubator),
            (_("Programme et promotion"), programme),
            (
                _("Phase au %(date)s") % {"date": fr_date(report.as_of)},
                report.current_phase_label
                + (
                    " " + _("(depuis %(days)s)") % {"days": fr_days(report.days_in_phase)}
                    if report.days_in_phase is not None
                    else ""
                ),
            ),
            (_("Diffusion"), version_text(report.public)),
        ],
    )
    for section in (
        _startup_project,
        _startup_phases,
        _startup_milestones,
        _startup_experiments,
        _startup_indicators,
        _startup_reviews,
        _startup_failures,
        _startup_impact,
        _startup_next_steps,
    ):
        story += section(kit, report)
    story += sources_section(
        kit,
        report.sources,
        [
            _(
                "Phases et durées au %(date)s ; les durées maximales sont celles du programme "
                "de la startup (ou, à défaut, celles du réseau)."
            )
            % {"date": fr_date(report.as_of)},
            _(
                "Utilisable : service en ligne et phase de construction ou au-delà. Utilisé : "
                "dernière valeur d’un indicateur d’usagers supérieure à zéro. Utile : au moins "
                "une expérimentation validée. Impactant : au moins un indicateur à sa cible."
            ),
        ],
    )
    title = _("Rapport de progression — %(name)s") % {"name": report.name}
    return build_pdf(
        story,
        kit=kit,
        title=title,
        subject=_("Rapport de progression de la startup %(name)s, %(period)s (%(version)s)")
        % {"name": report.name, "period": period, "version": version},
        footer_name=report.name,
        footer_rest=f"{period} · {version}",
        generated_on=report.generated_on,
    )


# --- Cohort report ----------------------------------------------------------------------


def _cohort_rows(kit: Kit, report: CohortReport) -> list:
    story = kit.heading(_("Les startups de la promotion"))
    if not report.rows:
        story.append(
            kit.p(
                _("Aucune startup publique dans cette promotion.")
                if report.public
                else _("Aucune startup dans cette promotion.")
            )
        )
        return story
    header = [_("Startup"), _("Phase"), _("Jours en phase"), _("Dernier jalon atteint")]
    widths = [2, 1.3, 0.9, 2.6]
    if report.alerts_computed:
        header.append(_("Alertes"))
        widths = [1.6, 1.3, 0.8, 1.8, 2.9]
    rows = []
    for row in report.rows:
        milestone = (
            _("%(title)s (%(date)s)")
            % {"title": row.last_milestone, "date": fr_short_date(row.last_milestone_date)}
            if row.last_milestone
            else "—"
        )
        days = fr_number(row.days_in_phase) if row.days_in_phase is not None else "—"
        cells = [row.name, row.phase_label, days, milestone]
        if report.alerts_computed:
            alerts = "\n".join(f"• {alert}" for alert in row.alerts) or _("Aucune")
            cells.append(kit.p(alerts, kit.cell_small))
        rows.append(cells)
    story.append(kit.table(header, rows, widths, align_right={2}))
    if report.alerts_computed:
        story.append(
            kit.p(_("Alertes au %(date)s.") % {"date": fr_date(report.generated_on)}, kit.small)
        )
    elif not report.public:
        story.append(
            kit.p(
                _(
                    "Les alertes décrivent le présent : elles ne figurent que dans un rapport "
                    "dont la période inclut aujourd’hui."
                ),
                kit.small,
            )
        )
    return story


def _cohort_funnel(kit: Kit, report: CohortReport) -> list:
    story = kit.heading(_("Entonnoir des phases"))
    if not report.started_count:
        story.append(
            kit.p(
                _("Aucune startup n’avait démarré au %(date)s.") % {"date": fr_date(report.as_of)}
            )
        )
        return story
    story.append(
        kit.p(
            ngettext(
                "Sur %(count)s startup entrée en incubation, combien ont atteint chaque "
                "phase au %(date)s (dont %(abandoned)s arrêtée).",
                "Sur %(count)s startups entrées en incubation, combien ont atteint chaque "
                "phase au %(date)s (dont %(abandoned)s arrêtées).",
                report.started_count,
            )
            % {
                "count": fr_number(report.started_count),
                "date": fr_date(report.as_of),
                "abandoned": fr_number(report.abandoned_count),
            }
        )
    )
    story.append(funnel_chart(kit, report.funnel, started=report.started_count))
    return story


def _cohort_survival(kit: Kit, report: CohortReport) -> list:
    story = kit.heading(_("Survie de la promotion"))
    if not report.survival:
        story.append(kit.p(_("Pas encore de données de survie pour cette période.")))
        return story
    last = report.survival[-1]
    story.append(
        kit.p(
            _(
                "Part des startups démarrées qui ne sont pas arrêtées, mois par mois depuis le "
                "début de la promotion (%(start)s). Au %(date)s : %(share)s (%(alive)s sur %(started)s)."
            )
            % {
                "start": fr_date(report.cohort_start),
                "date": fr_date(last.date),
                "share": fr_percent(last.share),
                "alive": fr_number(last.alive),
                "started": fr_number(last.started),
            }
        )
    )
    story.append(
        time_chart(
            kit,
            [(point.date, point.share * 100) for point in report.survival],
            y_min=0,
            y_max=100,
            y_label=lambda value: f"{fr_number(round(value))}\xa0%",
            height=150,
        )
    )
    return story


def _cohort_lessons(kit: Kit, report: CohortReport) -> list:
    story = kit.heading(_("Leçons de la période"))
    if report.public:
        story.append(
            kit.p(_("Seules les leçons publiques figurent dans cette version."), kit.small)
        )
    if not report.lesson_groups:
        story.append(kit.p(_("Aucune leçon enregistrée sur la période.")))
        return story
    for group in report.lesson_groups:
        story.append(kit.p(f"{group.label} ({len(group.lessons)})", kit.h2))
        story.append(
            kit.bullets(
                [_lesson_paragraph(kit, lesson, with_startup=True) for lesson in group.lessons]
            )
        )
    return story


def render_cohort_report(report: CohortReport) -> bytes:
    """The cohort report as PDF bytes."""
    kit = Kit(font_set())
    period = fr_period(report.period.start, report.period.end)
    version = _("version publique") if report.public else _("version interne")
    count = len(report.rows)
    story = _title_block(
        kit,
        kicker=_("Rapport de promotion · %(version)s") % {"version": version},
        title=f"{report.program} — {report.name}",
        subtitle=report.incubator,
        pairs=[
            (_("Période"), period),
            (
                _("Promotion"),
                fr_period(report.cohort_start, report.cohort_end)
                if report.cohort_end
                else _("depuis le %(date)s") % {"date": fr_date(report.cohort_start)},
            ),
            (
                _("Startups"),
                (
                    ngettext("%(count)s startup publique", "%(count)s startups publiques", count)
                    if report.public
                    else ngettext("%(count)s startup", "%(count)s startups", count)
                )
                % {"count": fr_number(count)},
            ),
            (_("Diffusion"), version_text(report.public)),
        ],
    )
    for section in (_cohort_rows, _cohort_funnel, _cohort_survival, _cohort_lessons):
        story += section(kit, report)
    story += sources_section(
        kit,
        report.sources,
        [
            _(
                "Phases au %(date)s. Une startup a « atteint » une phase si son historique "
                "y est passé, même brièvement. Une leçon est datée de son échec, sinon de la "
                "fin de son expérimentation, sinon de son enregistrement."
            )
            % {"date": fr_date(report.as_of)},
        ],
    )
    title = _("Rapport de promotion — %(program)s, %(name)s") % {
        "program": report.program,
        "name": report.name,
    }
    return build_pdf(
        story,
        kit=kit,
        title=title,
        subject=_("Rapport de la promotion %(name)s, %(period)s (%(version)s)")
        % {"name": report.name, "period": period, "version": version},
        footer_name=f"{report.program} — {report.name}",
        footer_rest=f"{period} · {version}",
        generated_on=report.generated_on,
    )
