"""Settings: every value comes from the environment (statuspage/env.py), with safe local defaults.

One module per area; DJANGO_SETTINGS_MODULE stays "statuspage.settings".
"""

from statuspage.settings.core import *  # noqa: F403
from statuspage.settings.notifications import *  # noqa: F403
from statuspage.settings.security import *  # noqa: F403
