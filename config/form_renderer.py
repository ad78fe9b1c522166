"""The form renderer: django-dsfr's templates, one renderer per process.

django-dsfr's forms name their renderer class when FORM_RENDERER is Django's
default, so Django builds a renderer, a template engine, and compiles the
field templates again for every form on every request (5 ms on the startup
directory). Named in FORM_RENDERER, it is built once (`get_default_renderer`
is cached) and its compiled templates are kept.
"""

from dsfr.forms import DsfrDjangoTemplates


class FormRenderer(DsfrDjangoTemplates):
    pass
