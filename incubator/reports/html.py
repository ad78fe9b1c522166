"""HTML rendering of report data: the same content as the PDF, as a page fragment.

    render_report_html(report) -> SafeString

The fragment (no <html>, no <body>, headings from <h2>) is stored with each
generated report and shown inside a page that holds the <h1>. Templates are
in `templates/reports/`; charts are inline SVG from `svg`; every text is
autoescaped; no script and no inline style, for a strict CSP.

Sentences that the PDF also writes use the PDF's French msgids, so both
formats read, and are translated, alike.
"""

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incubator.enums import TERMINAL_PHASES
from incubator.reports import svg
from incubator.reports.data import PLATFORM_NAME, CohortReport, StartupReport
from incubator.reports.data_network import IncubatorAnnualReport, TerritoryReport
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
from incubator.reports.sentences import indicator_sentence, phase_sentence


@dataclass(frozen=True)
class Header:
    """The block at the top of a report: what, on whom, when, for whom."""

    kind: str
    title: str
    subtitle: str
    pairs: tuple[tuple[str, str], ...]
    public: bool
    generated_on: datetime.date

    @property
    def version_note(self) -> str:
        if self.public:
            return _("Version publique : ne contient que des informations publiables.")
        return _(
            "Version interne : contient des données non publiques (équipe, notes de comité, "
            "budgets, leçons privées). À ne pas diffuser hors de l’équipe, de l’incubateur "
            "et des sponsors."
        )


def _euros_or(cents: int | None, missing: str) -> str:
    return fr_euros(cents) if cents is not None else missing


def _impact_method() -> str:
    """How "usable / used / useful / impactful" are decided (startup and territory reports)."""
    return _(
        "Utilisable : service en ligne et phase de construction ou au-delà. Utilisé : "
        "dernière valeur d’un indicateur d’usagers supérieure à zéro. Utile : au moins "
        "une expérimentation validée. Impactant : au moins un indicateur à sa cible."
    )


def _common_pairs(report) -> list[tuple[str, str]]:
    return [
        (_("Période"), fr_period(report.period.start, report.period.end)),
        (_("Données arrêtées au"), fr_date(report.as_of)),
    ]


# --- Startup report ------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseRow:
    label: str
    phase: str
    start: str
    end: str
    duration: str
    maximum: str


def _phase_row(span, as_of: datetime.date) -> PhaseRow:
    if span.end is None and span.phase in TERMINAL_PHASES:
        end, duration = "—", "—"  # an outcome, not a stay
    else:
        end = fr_short_date(span.end) if span.end else _("en cours")
        duration = fr_days(((span.end or as_of) - span.start).days)
    maximum = fr_months(span.max_months) if span.max_months else "—"
    return PhaseRow(span.label, span.phase, fr_short_date(span.start), end, duration, maximum)


def _experiment_dates(experiment) -> str:
    if experiment.end_date:
        return fr_period(experiment.start_date, experiment.end_date)
    return _("depuis le %(date)s") % {"date": fr_date(experiment.start_date)}


@dataclass(frozen=True)
class IndicatorBlock:
    name: str
    sentence: str
    chart: svg.Chart | None


def _startup_context(report: StartupReport, ids: svg.IdSequence) -> dict:
    programme = " — ".join(filter(None, [report.program, report.cohort])) or _("Hors promotion")
    phase = report.current_phase_label
    if report.days_in_phase is not None:
        phase += " " + _("(depuis %(days)s)") % {"days": fr_days(report.days_in_phase)}
    header = Header(
        kind=_("Rapport de progression"),
        title=report.name,
        subtitle=report.pitch,
        pairs=(
            *_common_pairs(report),
            (_("Incubateur"), report.incubator),
            (_("Programme et promotion"), programme),
            (_("Phase au %(date)s") % {"date": fr_date(report.as_of)}, phase),
        ),
        public=report.public,
        generated_on=report.generated_on,
    )
    costs = report.costs
    if costs.users_indicator:
        cost_method = _(
            "Coût par usager actif : financements cumulés divisés par la dernière valeur "
            "de « %(name)s »."
        ) % {"name": costs.users_indicator}
    else:
        cost_method = _(
            "Le coût par usager actif demande un indicateur d’usagers ou d’utilisateurs mesuré."
        )
    return {
        "header": header,
        "phase_sentence": phase_sentence(report),
        "phase_rows": [_phase_row(span, report.as_of) for span in report.phases],
        "timeline": svg.phase_timeline_chart(ids=ids, spans=report.phases, as_of=report.as_of)
        if report.phases
        else None,
        "sponsor_total_cents": sum(s.amount_cents for s in report.sponsors),
        "experiments": [(e, _experiment_dates(e)) for e in report.experiments],
        "indicators": [
            IndicatorBlock(
                name=f"{i.name} ({i.unit})" if i.unit else i.name,
                sentence=indicator_sentence(i),
                chart=svg.indicator_chart(ids=ids, indicator=i) if i.points else None,
            )
            for i in report.indicators
        ],
        "cost_rows": [
            (_("Financements accordés sur la période"), fr_euros(costs.funding_in_period_cents)),
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
                _euros_or(costs.cost_per_user_cents, _("non calculable")),
            ),
        ],
        "cost_method": cost_method,
        "method": [
            _(
                "Phases et durées au %(date)s ; les durées maximales sont celles du programme "
                "de la startup (ou, à défaut, celles du réseau)."
            )
            % {"date": fr_date(report.as_of)},
            _impact_method(),
        ],
    }


# --- Cohort report ----------------------------------------------------------------------


def _cohort_context(report: CohortReport, ids: svg.IdSequence) -> dict:
    count = len(report.rows)
    header = Header(
        kind=_("Rapport de promotion"),
        title=f"{report.program} — {report.name}",
        subtitle=report.incubator,
        pairs=(
            *_common_pairs(report),
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
        ),
        public=report.public,
        generated_on=report.generated_on,
    )
    funnel_sentence = survival_sentence = ""
    if report.started_count:
        funnel_sentence = ngettext(
            "Sur %(count)s startup entrée en incubation, combien ont atteint chaque "
            "phase au %(date)s (dont %(abandoned)s arrêtée).",
            "Sur %(count)s startups entrées en incubation, combien ont atteint chaque "
            "phase au %(date)s (dont %(abandoned)s arrêtées).",
            report.started_count,
        ) % {
            "count": fr_number(report.started_count),
            "date": fr_date(report.as_of),
            "abandoned": fr_number(report.abandoned_count),
        }
    if report.survival:
        last = report.survival[-1]
        survival_sentence = _(
            "Part des startups démarrées qui ne sont pas arrêtées, mois par mois depuis le "
            "début de la promotion (%(start)s). Au %(date)s : %(share)s (%(alive)s sur %(started)s)."
        ) % {
            "start": fr_date(report.cohort_start),
            "date": fr_date(last.date),
            "share": fr_percent(last.share),
            "alive": fr_number(last.alive),
            "started": fr_number(last.started),
        }
    return {
        "header": header,
        "funnel_sentence": funnel_sentence,
        "funnel": svg.funnel_chart(
            ids=ids, steps=report.funnel, started=report.started_count, as_of=report.as_of
        )
        if report.started_count
        else None,
        "survival_sentence": survival_sentence,
        "survival": svg.survival_chart(
            ids=ids, survival=report.survival, cohort_start=report.cohort_start
        )
        if report.survival
        else None,
        "method": [
            _(
                "Phases au %(date)s. Une startup a « atteint » une phase si son historique "
                "y est passé, même brièvement. Une leçon est datée de son échec, sinon de la "
                "fin de son expérimentation, sinon de son enregistrement."
            )
            % {"date": fr_date(report.as_of)},
        ],
    }


# --- Territory report -------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator of a sponsored startup, as one row of a table, and its chart."""

    name: str
    latest: str
    latest_date: str
    target: str
    reached: str
    chart: svg.Chart | None


def _indicator_row(indicator, ids: svg.IdSequence) -> IndicatorRow:
    unit = f"\xa0{indicator.unit}" if indicator.unit else ""
    latest = indicator.latest
    if indicator.target is None:
        reached = "—"
    else:
        reached = _("atteinte") if indicator.target_reached else _("pas encore atteinte")
    return IndicatorRow(
        name=indicator.name,
        latest=f"{fr_number(latest.value)}{unit}" if latest else _("non mesuré"),
        latest_date=fr_short_date(latest.date) if latest else "—",
        target=f"{fr_number(indicator.target)}{unit}" if indicator.target is not None else "—",
        reached=reached,
        chart=svg.indicator_chart(ids=ids, indicator=indicator) if indicator.points else None,
    )


def _territory_context(report: TerritoryReport, ids: svg.IdSequence) -> dict:
    count = len(report.startups)
    header = Header(
        kind=_("Rapport de territoire"),
        title=report.name,
        subtitle=report.kind_label,
        pairs=(
            *_common_pairs(report),
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
        ),
        public=report.public,
        generated_on=report.generated_on,
    )
    remaining = report.contributions_due_cents - report.contributions_paid_cents
    return {
        "header": header,
        "startups_sentence": ngettext(
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
        },
        "phase_chart": svg.phase_counts_chart(
            ids=ids,
            counts=report.phase_counts,
            not_started=report.not_started_count,
            as_of=report.as_of,
        )
        if report.startups
        else None,
        "impacts": [
            (row, [_indicator_row(indicator, ids) for indicator in row.indicators])
            for row in report.startups
        ],
        "remaining_cents": remaining if remaining > 0 else None,
        "method": [
            _(
                "Startups dont le parrainage couvre au moins une partie de la période ; phases "
                "et jours en phase au %(date)s, d’après l’historique des changements de phase."
            )
            % {"date": fr_date(report.as_of)},
            _impact_method(),
            _(
                "Une leçon est datée de son échec, sinon de la fin de son expérimentation, "
                "sinon de son enregistrement."
            ),
        ],
    }


# --- Annual incubator report ------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    this_year: str
    previous_year: str
    change: str


def _signed(value: int, *, amount: bool) -> str:
    """A difference with its sign: « + 3 », « − 1 234,00 € », « = »."""
    if value == 0:
        return "="
    text = fr_euros(abs(value)) if amount else fr_number(abs(value))
    return ("+\u202f" if value > 0 else "\u2212\u202f") + text


def _incubator_context(report: IncubatorAnnualReport, ids: svg.IdSequence) -> dict:
    count = report.startups_count
    header = Header(
        kind=_("Rapport annuel d’incubateur"),
        title=report.name,
        subtitle=_("Année %(year)s") % {"year": report.year},
        pairs=(
            *_common_pairs(report),
            (
                _("Startups au %(date)s") % {"date": fr_date(report.as_of)},
                (
                    ngettext(
                        "%(count)s startup publique entrée en incubation",
                        "%(count)s startups publiques entrées en incubation",
                        count,
                    )
                    if report.public
                    else ngettext(
                        "%(count)s startup entrée en incubation",
                        "%(count)s startups entrées en incubation",
                        count,
                    )
                )
                % {"count": fr_number(count)},
            ),
            (_("Taux de succès"), fr_percent(report.success_rate)),
            (_("Financements de l’année"), fr_euros(report.funding_total_cents)),
        ),
        public=report.public,
        generated_on=report.generated_on,
    )
    comparison = []
    for item in report.comparison:
        show = fr_euros if item.is_amount else fr_number
        comparison.append(
            ComparisonRow(
                label=item.label,
                this_year=show(item.this_year),
                previous_year=show(item.previous_year),
                change=_signed(item.this_year - item.previous_year, amount=item.is_amount),
            )
        )
    if report.ended_count:
        outcome_sentence = ngettext(
            "Taux de succès : %(rate)s. Sur %(ended)s startup terminée au %(date)s, "
            "%(succeeded)s a été transférée ou opérée.",
            "Taux de succès : %(rate)s. Sur %(ended)s startups terminées au %(date)s, "
            "%(succeeded)s ont été transférées ou opérées.",
            report.ended_count,
        ) % {
            "rate": fr_percent(report.success_rate),
            "ended": fr_number(report.ended_count),
            "date": fr_date(report.as_of),
            "succeeded": fr_number(report.succeeded_count),
        }
    else:
        outcome_sentence = _(
            "Taux de succès : non calculable, aucune startup n’était terminée "
            "(transférée, opérée ou arrêtée) au %(date)s."
        ) % {"date": fr_date(report.as_of)}
    any_stay = any(median.count for median in report.median_days)
    return {
        "header": header,
        "previous_year": report.year - 1,
        "comparison": comparison,
        "year_running": report.as_of < report.period.end,
        "funnel_sentence": ngettext(
            "Sur %(count)s startup entrée en incubation depuis la création de "
            "l’incubateur, combien ont atteint chaque phase au %(date)s.",
            "Sur %(count)s startups entrées en incubation depuis la création de "
            "l’incubateur, combien ont atteint chaque phase au %(date)s.",
            count,
        )
        % {"count": fr_number(count), "date": fr_date(report.as_of)},
        "funnel": svg.funnel_chart(ids=ids, steps=report.funnel, started=count, as_of=report.as_of)
        if count
        else None,
        "outcome_sentence": outcome_sentence,
        "stop_rates": [(rate, fr_percent(rate.rate)) for rate in report.stop_rates],
        "medians": svg.median_days_chart(ids=ids, medians=report.median_days, as_of=report.as_of)
        if any_stay
        else None,
        "median_rows": [
            (median.label, fr_number(median.count), svg.median_text(median.median_days))
            for median in report.median_days
        ],
        "funding_count": sum(funder.count for funder in report.funding_by_funder),
        "method": [
            _(
                "Tout est calculé d’après l’historique des changements de phase, les "
                "financements et les leçons enregistrés, au %(date)s."
            )
            % {"date": fr_date(report.as_of)},
            _(
                "Taux d’arrêt : part des startups entrées dans une phase qui ont été arrêtées "
                "pendant cette phase. Taux de succès : part des startups terminées (transférées, "
                "opérées ou arrêtées) qui ont été transférées ou opérées. Entonnoir, taux et "
                "durées portent sur toute l’histoire de l’incubateur."
            ),
            _(
                "Comparaison : ce qui s’est passé dans chaque année civile. Une leçon est datée "
                "de son échec, sinon de la fin de son expérimentation, sinon de son "
                "enregistrement."
            ),
        ],
    }


# --- Dispatch --------------------------------------------------------------------------------

_RENDERERS = {
    StartupReport: ("reports/startup.html", _startup_context),
    CohortReport: ("reports/cohort.html", _cohort_context),
    TerritoryReport: ("reports/territory.html", _territory_context),
    IncubatorAnnualReport: ("reports/incubator.html", _incubator_context),
}


def render_report_html(report, *, id_prefix: str = "") -> SafeString:
    """The report as an HTML fragment; `id_prefix` keeps ids unique when a page shows several."""
    renderer = next((r for t, r in _RENDERERS.items() if isinstance(report, t)), None)
    if renderer is None:
        raise TypeError(f"No HTML rendering for {type(report).__name__}")
    template_name, build_context = renderer
    kind = template_name.removeprefix("reports/").removesuffix(".html")
    ids = svg.IdSequence(id_prefix or f"rapport-{kind}-{report.slug}")
    context = {
        "report": report,
        "report_id": ids.prefix,
        "platform": PLATFORM_NAME,
        **build_context(report, ids),
    }
    return render_to_string(template_name, context)
