"""PDF rendering of territory and annual incubator reports: bytes in, nothing read from the database.

    render_territory_report(report) -> bytes
    render_incubator_report(report) -> bytes

Same look as `pdf` (title block, A4, "Page N sur M", sources section);
an empty territory or year renders a readable report that says so.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reportlab.platypus import KeepTogether, Spacer

from incubator.enums import TERMINAL_PHASES
from incubator.reports.data_network import IncubatorAnnualReport, TerritoryReport
from incubator.reports.formatting import (
    fr_date,
    fr_days,
    fr_euros,
    fr_number,
    fr_percent,
    fr_period,
    fr_short_date,
)
from incubator.reports.pdf import _lesson_paragraph, _title_block
from incubator.reports.pdf_charts import bar_chart, funnel_chart
from incubator.reports.pdf_kit import (
    GREEN_HEX,
    RED_HEX,
    Kit,
    build_pdf,
    font_set,
    sources_section,
    version_text,
)


def _version(public: bool) -> str:
    return _("version publique") if public else _("version interne")


def _lesson_groups(kit: Kit, groups, *, public: bool, empty: str) -> list:
    story = []
    if public:
        story.append(
            kit.p(
                _(
                    "Seules les leçons publiques figurent dans cette version, et aucune leçon "
                    "d’un échec dont l’équipe n’a pas accepté la publication."
                ),
                kit.small,
            )
        )
    if not groups:
        story.append(kit.p(empty))
        return story
    for group in groups:
        story.append(kit.p(f"{group.label} ({fr_number(len(group.lessons))})", kit.h2))
        story.append(
            kit.bullets(
                [_lesson_paragraph(kit, lesson, with_startup=True) for lesson in group.lessons]
            )
        )
    return story


# --- Territory report -------------------------------------------------------------------


def _territory_startups(kit: Kit, report: TerritoryReport) -> list:
    story = kit.heading(_("Startups sponsorisées"))
    if not report.startups:
        story.append(
            kit.p(
                _("Aucune startup publique sponsorisée par ce territoire sur la période.")
                if report.public
                else _("Aucune startup sponsorisée par ce territoire sur la période.")
            )
        )
        return story
    count = len(report.startups)
    story.append(
        kit.p(
            ngettext(
                "%(count)s startup sponsorisée sur la période, pour %(amount)s engagés. "
                "Phases au %(date)s :",
                "%(count)s startups sponsorisées sur la période, pour %(amount)s engagés. "
                "Phases au %(date)s :",
                count,
            )
            % {
                "count": fr_number(count),
                "amount": fr_euros(report.sponsored_total_cents),
                "date": fr_date(report.as_of),
            }
        )
    )
    bars = [(step.key, step.label, step.count) for step in report.phase_counts]
    if report.not_started_count:
        bars.append(("", _("Pas encore entrée"), report.not_started_count))
    story.append(KeepTogether([bar_chart(kit, bars), Spacer(1, 8)]))
    rows = [
        (
            row.name,
            row.incubator,
            row.phase_label,
            # A terminal phase is an outcome, not a stay: no running count of days.
            fr_number(row.days_in_phase)
            if row.days_in_phase is not None and row.phase not in TERMINAL_PHASES
            else "—",
            fr_short_date(row.sponsored_since),
            fr_euros(row.amount_cents),
        )
        for row in report.startups
    ]
    rows.append(("", "", "", "", _("Total"), fr_euros(report.sponsored_total_cents)))
    story.append(
        kit.table(
            [
                _("Startup"),
                _("Incubateur"),
                _("Phase"),
                _("Jours en phase"),
                _("Sponsor depuis"),
                _("Montant engagé"),
            ],
            rows,
            [2, 1.7, 1.3, 0.9, 1.1, 1.3],
            align_right={3, 5},
            total_row=True,
        )
    )
    return story


def _indicator_row(indicator) -> tuple:
    unit = f"\xa0{indicator.unit}" if indicator.unit else ""
    latest = indicator.latest
    if indicator.target is None:
        reached = "—"
    else:
        reached = _("atteinte") if indicator.target_reached else _("pas encore atteinte")
    return (
        indicator.name,
        f"{fr_number(latest.value)}{unit}" if latest else _("non mesuré"),
        fr_short_date(latest.date) if latest else "—",
        f"{fr_number(indicator.target)}{unit}" if indicator.target is not None else "—",
        reached,
    )


def _territory_impact(kit: Kit, report: TerritoryReport) -> list:
    if not report.startups:
        return []
    story = kit.heading(_("Impact des startups"))
    if report.public:
        story.append(
            kit.p(_("Seuls les indicateurs publics figurent dans cette version."), kit.small)
        )
    yes, no = _("oui"), _("non")
    for row in report.startups:
        verdicts = " · ".join(
            f"{kit.text(criterion.label)} : "
            f'<font color="{GREEN_HEX if criterion.met else RED_HEX}">'
            f"<b>{kit.text(yes if criterion.met else no)}</b></font>"
            for criterion in row.impact
        )
        block = [kit.p(row.name, kit.h2), kit.markup(verdicts)]
        if row.indicators:
            block.append(
                kit.table(
                    [
                        _("Indicateur"),
                        _("Dernière valeur"),
                        _("Date"),
                        _("Cible"),
                        _("Cible atteinte"),
                    ],
                    [_indicator_row(indicator) for indicator in row.indicators],
                    [2.6, 1.3, 1, 1.2, 1.3],
                    align_right={1, 3},
                )
            )
        else:
            block.append(kit.p(_("Aucun indicateur d’impact défini.")))
        story.append(KeepTogether(block))
    return story


def _territory_lessons(kit: Kit, report: TerritoryReport) -> list:
    return kit.heading(_("Leçons de la période")) + _lesson_groups(
        kit,
        report.lesson_groups,
        public=report.public,
        empty=_("Aucune leçon enregistrée sur la période par les startups sponsorisées."),
    )


def _territory_contributions(kit: Kit, report: TerritoryReport) -> list:
    story = kit.heading(_("Contributions du territoire"))
    if not report.contributions_shown:
        story.append(
            kit.p(
                _(
                    "Les montants des contributions sont réservés au territoire et à l’équipe "
                    "de l’incubateur : ils ne figurent pas dans cette version publique."
                )
            )
        )
        return story
    if not report.contributions:
        story.append(kit.p(_("Aucune contribution appelée sur la période.")))
        return story
    rows = [
        (
            c.kind_label + (f" — {c.startup_name}" if c.startup_name else ""),
            f"{fr_short_date(c.period_start)} – {fr_short_date(c.period_end)}",
            fr_short_date(c.due_date),
            c.status_label,
            fr_euros(c.amount_cents),
            fr_euros(c.paid_cents),
        )
        for c in report.contributions
    ]
    rows.append(
        (
            _("Total, hors annulations"),
            "",
            "",
            "",
            fr_euros(report.contributions_due_cents),
            fr_euros(report.contributions_paid_cents),
        )
    )
    story.append(
        kit.table(
            [_("Nature"), _("Période"), _("Échéance"), _("État"), _("Montant dû"), _("Payé")],
            rows,
            [2.2, 1.9, 1.3, 1.1, 1.2, 1.2],
            align_right={4, 5},
            total_row=True,
        )
    )
    remaining = report.contributions_due_cents - report.contributions_paid_cents
    if remaining > 0:
        story.append(
            kit.p(_("Reste à payer : %(amount)s.") % {"amount": fr_euros(remaining)}, kit.small)
        )
    return story


def render_territory_report(report: TerritoryReport) -> bytes:
    """The territory report as PDF bytes."""
    kit = Kit(font_set())
    period = fr_period(report.period.start, report.period.end)
    version = _version(report.public)
    count = len(report.startups)
    story = _title_block(
        kit,
        kicker=_("Rapport de territoire · %(version)s") % {"version": version},
        title=report.name,
        subtitle=report.kind_label,
        pairs=[
            (_("Période"), period),
            (
                _("Startups sponsorisées"),
                (
                    ngettext("%(count)s startup publique", "%(count)s startups publiques", count)
                    if report.public
                    else ngettext("%(count)s startup", "%(count)s startups", count)
                )
                % {"count": fr_number(count)},
            ),
            (_("Montant engagé"), fr_euros(report.sponsored_total_cents)),
            (_("Diffusion"), version_text(report.public)),
        ],
    )
    for section in (
        _territory_startups,
        _territory_impact,
        _territory_lessons,
        _territory_contributions,
    ):
        story += section(kit, report)
    story += sources_section(
        kit,
        report.sources,
        [
            _(
                "Startups dont le parrainage couvre au moins une partie de la période ; phases "
                "et jours en phase au %(date)s, d’après l’historique des changements de phase."
            )
            % {"date": fr_date(report.as_of)},
            _(
                "Utilisable : service en ligne et phase de construction ou au-delà. Utilisé : "
                "dernière valeur d’un indicateur d’usagers supérieure à zéro. Utile : au moins "
                "une expérimentation validée. Impactant : au moins un indicateur à sa cible."
            ),
            _(
                "Une leçon est datée de son échec, sinon de la fin de son expérimentation, "
                "sinon de son enregistrement."
            ),
        ],
    )
    return build_pdf(
        story,
        kit=kit,
        title=_("Rapport de territoire — %(name)s") % {"name": report.name},
        subject=_("Rapport du territoire %(name)s, %(period)s (%(version)s)")
        % {"name": report.name, "period": period, "version": version},
        footer_name=report.name,
        footer_rest=f"{period} · {version}",
        generated_on=report.generated_on,
    )


# --- Annual incubator report ---------------------------------------------------------------


def _signed(value: int, *, amount: bool) -> str:
    if value == 0:
        return "="
    text = fr_euros(abs(value)) if amount else fr_number(abs(value))
    return ("+\u202f" if value > 0 else "−\u202f") + text


def _incubator_comparison(kit: Kit, report: IncubatorAnnualReport) -> list:
    story = kit.heading(_("L’année en chiffres"))
    rows = []
    for item in report.comparison:
        show = fr_euros if item.is_amount else fr_number
        rows.append(
            (
                item.label,
                show(item.this_year),
                show(item.previous_year),
                _signed(item.this_year - item.previous_year, amount=item.is_amount),
            )
        )
    story.append(
        kit.table(
            [_("Mesure"), str(report.year), str(report.year - 1), _("Évolution")],
            rows,
            [3.2, 1.2, 1.2, 1.2],
            align_right={1, 2, 3},
        )
    )
    if report.as_of < report.period.end:
        story.append(
            kit.p(
                _(
                    "L’année est en cours : ses chiffres s’arrêtent au %(date)s, ceux de "
                    "l’année précédente portent sur toute l’année."
                )
                % {"date": fr_date(report.as_of)},
                kit.small,
            )
        )
    return story


def _incubator_funnel(kit: Kit, report: IncubatorAnnualReport) -> list:
    story = kit.heading(_("Entonnoir des phases"))
    if not report.startups_count:
        story.append(
            kit.p(
                _("Aucune startup n’avait démarré au %(date)s.") % {"date": fr_date(report.as_of)}
            )
        )
        return story
    story.append(
        kit.p(
            ngettext(
                "Sur %(count)s startup entrée en incubation depuis la création de "
                "l’incubateur, combien ont atteint chaque phase au %(date)s.",
                "Sur %(count)s startups entrées en incubation depuis la création de "
                "l’incubateur, combien ont atteint chaque phase au %(date)s.",
                report.startups_count,
            )
            % {"count": fr_number(report.startups_count), "date": fr_date(report.as_of)}
        )
    )
    story.append(funnel_chart(kit, report.funnel, started=report.startups_count))
    return story


def _incubator_outcomes(kit: Kit, report: IncubatorAnnualReport) -> list:
    story = kit.heading(_("Arrêts et succès"))
    if not report.startups_count:
        story.append(kit.p(_("Pas encore de parcours de startup à analyser.")))
        return story
    if report.ended_count:
        values = {
            "rate": fr_percent(report.success_rate),
            "ended": fr_number(report.ended_count),
            "date": fr_date(report.as_of),
            "succeeded": fr_number(report.succeeded_count),
        }
        sentence = (
            _("Taux de succès : %(rate)s.") % values
            + " "
            + ngettext(
                "Sur %(ended)s startup terminée au %(date)s,",
                "Sur %(ended)s startups terminées au %(date)s,",
                report.ended_count,
            )
            % values
            + " "
            + ngettext(
                "%(succeeded)s a été transférée ou opérée.",
                "%(succeeded)s ont été transférées ou opérées.",
                report.succeeded_count,
            )
            % values
        )
        story.append(kit.p(sentence))
    else:
        story.append(
            kit.p(
                _(
                    "Taux de succès : non calculable, aucune startup n’était terminée "
                    "(transférée, opérée ou arrêtée) au %(date)s."
                )
                % {"date": fr_date(report.as_of)}
            )
        )
    story.append(
        KeepTogether(
            [
                kit.p(_("Arrêts par phase"), kit.h2),
                kit.table(
                    [
                        _("Phase"),
                        _("Startups entrées"),
                        _("Arrêtées dans cette phase"),
                        _("Taux d’arrêt"),
                    ],
                    [
                        (
                            rate.label,
                            fr_number(rate.entered),
                            fr_number(rate.stopped),
                            fr_percent(rate.rate),
                        )
                        for rate in report.stop_rates
                    ],
                    [2, 1.3, 1.6, 1.1],
                    align_right={1, 2, 3},
                ),
            ]
        )
    )
    return story


def _median_text(days: float | None) -> str:
    """« 45 jours », « 45,5 jours » (a median of an even count may fall between two days)."""
    if days is None:
        return "—"
    if days == int(days):
        return fr_days(int(days))
    return _("%(count)s jours") % {"count": fr_number(days, 1)}


def _incubator_durations(kit: Kit, report: IncubatorAnnualReport) -> list:
    story = kit.heading(_("Durée des phases"))
    if not any(median.count for median in report.median_days):
        story.append(
            kit.p(
                _("Aucun passage en phase n’était terminé au %(date)s.")
                % {"date": fr_date(report.as_of)}
            )
        )
        return story
    story.append(
        kit.p(
            _(
                "Durée médiane des passages terminés dans chaque phase, depuis la création de "
                "l’incubateur jusqu’au %(date)s."
            )
            % {"date": fr_date(report.as_of)}
        )
    )
    story.append(
        KeepTogether(
            [
                bar_chart(
                    kit,
                    [(m.phase, m.label, m.median_days) for m in report.median_days],
                    value_label=_median_text,
                ),
                Spacer(1, 8),
            ]
        )
    )
    story.append(
        kit.table(
            [_("Phase"), _("Passages terminés"), _("Durée médiane")],
            [
                (
                    median.label,
                    fr_number(median.count),
                    _median_text(median.median_days),
                )
                for median in report.median_days
            ],
            [2, 1.3, 1.3],
            align_right={1, 2},
        )
    )
    return story


def _incubator_funding(kit: Kit, report: IncubatorAnnualReport) -> list:
    story = kit.heading(_("Financements de l’année"))
    if not report.funding_by_funder:
        story.append(kit.p(_("Aucun financement accordé en %(year)s.") % {"year": report.year}))
        return story
    rows = [
        (funder.name, fr_number(funder.count), fr_euros(funder.amount_cents))
        for funder in report.funding_by_funder
    ]
    rows.append(
        (
            _("Total"),
            fr_number(sum(funder.count for funder in report.funding_by_funder)),
            fr_euros(report.funding_total_cents),
        )
    )
    story.append(
        kit.table(
            [_("Financeur"), _("Financements"), _("Montant")],
            rows,
            [3, 1, 1.4],
            align_right={1, 2},
            total_row=True,
        )
    )
    story.append(kit.p(_("Financements dont la période commence dans l’année."), kit.small))
    return story


def _incubator_lessons(kit: Kit, report: IncubatorAnnualReport) -> list:
    return kit.heading(_("Leçons de l’année")) + _lesson_groups(
        kit,
        report.lesson_groups,
        public=report.public,
        empty=_("Aucune leçon enregistrée en %(year)s.") % {"year": report.year},
    )


def render_incubator_report(report: IncubatorAnnualReport) -> bytes:
    """The annual incubator report as PDF bytes."""
    kit = Kit(font_set())
    period = fr_period(report.period.start, report.period.end)
    version = _version(report.public)
    story = _title_block(
        kit,
        kicker=_("Rapport annuel d’incubateur · %(version)s") % {"version": version},
        title=report.name,
        subtitle=_("Année %(year)s") % {"year": report.year},
        pairs=[
            (_("Période"), period),
            (
                _("Startups"),
                (
                    ngettext(
                        "%(count)s startup publique entrée en incubation au %(date)s",
                        "%(count)s startups publiques entrées en incubation au %(date)s",
                        report.startups_count,
                    )
                    if report.public
                    else ngettext(
                        "%(count)s startup entrée en incubation au %(date)s",
                        "%(count)s startups entrées en incubation au %(date)s",
                        report.startups_count,
                    )
                )
                % {"count": fr_number(report.startups_count), "date": fr_date(report.as_of)},
            ),
            (_("Taux de succès"), fr_percent(report.success_rate)),
            (_("Financements de l’année"), fr_euros(report.funding_total_cents)),
            (_("Diffusion"), version_text(report.public)),
        ],
    )
    for section in (
        _incubator_comparison,
        _incubator_funnel,
        _incubator_outcomes,
        _incubator_durations,
        _incubator_funding,
        _incubator_lessons,
    ):
        story += section(kit, report)
    story += sources_section(
        kit,
        report.sources,
        [
            _(
                "Calculé au %(date)s d’après l’historique des changements de phase, les "
                "financements et les leçons enregistrés. Entonnoir, taux et durées portent sur "
                "toute l’histoire de l’incubateur ; la comparaison, sur chaque année civile."
            )
            % {"date": fr_date(report.as_of)},
            _(
                "Taux d’arrêt : part des startups entrées dans une phase qui y ont été arrêtées. "
                "Taux de succès : part des startups terminées qui ont été transférées ou opérées. "
                "Une leçon est datée de son échec, sinon de la fin de son expérimentation, sinon "
                "de son enregistrement."
            ),
        ],
    )
    return build_pdf(
        story,
        kit=kit,
        title=_("Rapport annuel %(year)s — %(name)s") % {"year": report.year, "name": report.name},
        subject=_("Rapport annuel %(year)s de l’incubateur %(name)s (%(version)s)")
        % {"year": report.year, "name": report.name, "version": version},
        footer_name=report.name,
        footer_rest=_("Année %(year)s") % {"year": report.year} + f" · {version}",
        generated_on=report.generated_on,
    )
