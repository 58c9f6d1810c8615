"""DRF authentication by `Authorization: Bearer idc_...` (machine clients).

It comes first in DEFAULT_AUTHENTICATION_CLASSES so an unauthenticated call gets 401 with a
`WWW-Authenticate: Bearer` challenge; the console's session comes next (with DRF's CSRF check
on unsafe methods, which a token-authenticated request does not need: no cookie is involved).
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from idconfluence.apitokens.models import ApiToken
from idconfluence.apitokens.services import BadToken, token_authenticate

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        try:
            text = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("This API token is not valid.") from None
        try:
            token = token_authenticate(text)
        except BadToken as exc:
            raise AuthenticationFailed(str(exc)) from None
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
