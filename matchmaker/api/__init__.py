"""The JSON API under /api/v1, authenticated by personal API tokens."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, g, request

from matchmaker.api.errors import error_response
from matchmaker.database import after_commit, get_session
from matchmaker.services import accounts
from matchmaker.services.errors import NotAuthenticated
from matchmaker.services.storable import multidict_problems, unstorable_fields

api_blueprint = Blueprint("api", __name__)
PUBLIC_ENDPOINTS = {"api.openapi_document"}


@api_blueprint.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return error_response(401, "Send your API token as 'Authorization: Bearer <token>'.")
    try:
        found = accounts.active_token(get_session(), token.strip())
    except NotAuthenticated as error:
        return error_response(401, error.message)
    g.api_user = found.user
    if accounts.token_use_due(found):
        after_commit(partial(accounts.record_token_use, token_id=found.id), "an API token's use")
    return None


@api_blueprint.before_request
def _refuse_unstorable_text():
    """Text no database can store (a null character, a lone surrogate) is refused in any field of
    the body or the query, the same way on every database; see matchmaker.services.storable."""
    fields = multidict_problems(request.args)
    if request.is_json:
        fields.update(unstorable_fields(request.get_json(silent=True)))
    if fields:
        return error_response(422, "Text that cannot be stored; see error.fields.", fields)
    return None


from matchmaker.api import (  # noqa: E402,F401  (routes)
    arena_event_day,
    arena_organiser,
    arena_setup,
    arenas,
    collaborations,
    funding,
    indicators,
    matching,
    members,
    notifications,
    openapi,
    organisations,
    privacy,
    profiles,
)
from matchmaker.web.security import csrf  # noqa: E402

# Token-authenticated, never cookie-authenticated, so cross-site requests carry no credentials.
csrf.exempt(api_blueprint)
