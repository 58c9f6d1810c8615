from django.db import models


class ItemState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


OPEN_ITEM_STATES = (ItemState.PENDING, ItemState.RUNNING)
