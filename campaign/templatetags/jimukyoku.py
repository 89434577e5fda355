import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder

register = template.Library()


@register.filter
def as_json(value) -> str:
    """Show stored JSON the way it was written (Japanese kept readable), for audit details."""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
