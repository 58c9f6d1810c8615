"""Who may view, use (reference in a block) and change a connector."""

from connectors.models import Connector
from idconfluence.access import Rules

CONNECTORS: Rules[Connector] = Rules(
    Connector,
    {
        "add": "connectors.add_connector",
        "view": "connectors.view_connector",
        "use": "connectors.use_connector",
        "change": "connectors.change_connector",
    },
    owner_actions=("view", "use", "change"),
)
