"""Creating a connector: a model permission (there is no object yet), asked through `Rules`."""

from connectors.models import Connector
from idconfluence.access import Rules

NEW_CONNECTORS: Rules[Connector] = Rules(Connector, {"add": "connectors.add_connector"})
