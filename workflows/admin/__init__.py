"""The console: workflow definitions, runs and the review queue, registered on the admin site."""

import workflows.admin.triggers  # noqa: F401 - schedules, webhooks, Run now
from workflows.admin import (  # noqa: F401 - registering is the import's effect
    builder,
    dashboard,
    definitions,
    from_template,
    history,
    recycle,
    review_queue,
    run_page,
    runs,
)
