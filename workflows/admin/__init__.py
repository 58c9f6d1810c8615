"""The console: workflow definitions, runs and the review queue, registered on the admin site."""

import workflows.admin.triggers  # noqa: F401 - schedules, webhooks, Run now
from workflows.admin import builder, definitions, runs  # noqa: F401 - registering is the effect
