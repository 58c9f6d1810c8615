"""The emailed link: `/a/<token>` (the URL carries no decision verb)."""

from django.urls import path

from approvals.views import task_page

app_name = "approvals"
urlpatterns = [path("<str:token>", task_page, name="task")]
