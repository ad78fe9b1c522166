"""Sentences that both renderers write (PDF and web), so both read, and translate, alike."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incubator.reports.data import StartupReport
from incubator.reports.formatting import fr_date, fr_days, fr_months, fr_number


def phase_sentence(report: StartupReport) -> str:
    if report.current_phase is None:
        return _("La startup n’était pas encore entrée en incubation au %(date)s.") % {
            "date": fr_date(report.as_of)
        }
    current = report.phases[-1]
    text = _("Au %(date)s, la startup est en phase « %(phase)s » depuis %(days)s.") % {
        "date": fr_date(report.as_of),
        "phase": report.current_phase_label,
        "days": fr_days(report.days_in_phase),
    }
    if current.deadline:
        overrun = (report.as_of - current.deadline).days
        if overrun > 0:
            text += " " + _(
                "Durée maximale (%(months)s) dépassée de %(days)s depuis le %(deadline)s."
            ) % {
                "months": fr_months(current.max_months),
                "days": fr_days(overrun),
                "deadline": fr_date(current.deadline),
            }
        else:
            text += " " + _("Durée maximale prévue : %(months)s, soit jusqu’au %(deadline)s.") % {
                "months": fr_months(current.max_months),
                "deadline": fr_date(current.deadline),
            }
    return text


def indicator_sentence(indicator) -> str:
    unit = f" {indicator.unit}" if indicator.unit else ""
    count = len(indicator.points)
    parts = [
        ngettext("%(count)s mesure sur la période.", "%(count)s mesures sur la période.", count)
        % {"count": fr_number(count)}
        if count
        else _("Aucune mesure sur la période.")
    ]
    if indicator.latest:
        parts.append(
            _("Dernière valeur : %(value)s%(unit)s au %(date)s.")
            % {
                "value": fr_number(indicator.latest.value),
                "unit": unit,
                "date": fr_date(indicator.latest.date),
            }
        )
    if indicator.target is not None:
        reached = _("atteinte") if indicator.target_reached else _("pas encore atteinte")
        parts.append(
            _("Cible : %(target)s%(unit)s (%(reached)s).")
            % {"target": fr_number(indicator.target), "unit": unit, "reached": reached}
        )
    else:
        parts.append(_("Pas de cible fixée."))
    return " ".join(parts)
