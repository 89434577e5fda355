"""The base of every domain error: a rule was broken, and the message is written for the person at the screen.

Views turn a ``DomainError`` into a form error (``campaign.forms.form_attempt``), the API into 400/409.
"""


class DomainError(Exception):
    pass
