"""Django admin names each model in the plural by adding an "s": "Time entrys", "Webhook
deliverys". Every model whose name ends in a consonant and "y" says its plural itself."""

import re

from django.apps import apps


def test_no_model_is_named_in_the_plural_with_ys():
    wrong = [
        f"{model._meta.label}: {model._meta.verbose_name_plural}"
        for model in apps.get_models()
        if re.search(r"[^aeiou]ys$", str(model._meta.verbose_name_plural))
    ]
    assert wrong == []
