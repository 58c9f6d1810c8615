"""Background jobs for admin actions that may take long (a connector test, a bulk retry): one
django-q2 task per selected object, a progress page, so no request waits on a connector."""
