"""Every write for merchants and settlement. Import services from here: ``from settlement import services``."""

from settlement.services.envelopes import *  # noqa: F403
from settlement.services.envelopes import __all__ as _envelopes
from settlement.services.imports import *  # noqa: F403
from settlement.services.imports import __all__ as _imports
from settlement.services.merchants import *  # noqa: F403
from settlement.services.merchants import __all__ as _merchants
from settlement.services.portal import *  # noqa: F403
from settlement.services.portal import __all__ as _portal
from settlement.services.retention import *  # noqa: F403
from settlement.services.retention import __all__ as _retention
from settlement.services.review import *  # noqa: F403
from settlement.services.review import __all__ as _review

__all__ = [*_merchants, *_portal, *_imports, *_retention, *_envelopes, *_review]
