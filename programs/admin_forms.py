"""Admin forms that keep what applicants already wrote."""

from django.utils.translation import gettext as _

from wagtail.admin.forms import WagtailAdminModelForm


class CallForProjectsAdminForm(WagtailAdminModelForm):
    """A question someone answered keeps its type and cannot be deleted: its answers
    would be lost or mean something else. Its wording can still be fixed."""

    def is_valid(self):
        if not super().is_valid():
            return False
        if self.instance.pk is None:
            # A new call: nothing answered yet (and its questions are not in the database,
            # where the query below would look).
            return True
        questions = self.formsets["questions"]
        answered = set(
            questions.queryset.filter(answers__isnull=False).values_list("pk", flat=True)
        )
        for form in questions.forms:
            question = form.instance
            if question.pk not in answered:
                continue
            if form in questions.deleted_forms:
                self.add_error(
                    None,
                    _(
                        "La question « %(label)s » a déjà reçu des réponses : elle ne peut pas être supprimée."
                    )
                    % {"label": question.label},
                )
            elif "kind" in form.changed_data:
                form.add_error(
                    "kind",
                    _("Cette question a déjà reçu des réponses : son type ne peut plus changer."),
                )
        return not self.errors and all(not form.errors for form in questions.forms)
