"""Indicator pages: a trust's, an agency's or the platform's figures with charts, their CSV export,
and the trust overview of needs that other trusts have too."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.matching.runtime import get_engine
from matchmaker.services import indicator_access, indicators, trust_overview
from matchmaker.services.errors import ValidationFailed
from matchmaker.web.helpers import optional_id

bp = Blueprint("indicators", __name__)
bp.add_app_template_global(indicator_access.can_see_indicators, "can_see_indicators")


def _scope():
    return indicator_access.scope_for(get_session(), current_user, optional_id(request.args.get("organisation")))


def _figures(scope):
    period = indicator_access.parse_period(request.args.get("from"), request.args.get("to"))
    return indicators.indicators(get_session(), scope, period)


@bp.get("/indicators")
def overview():
    scope = _scope()
    try:
        figures, date_errors = _figures(scope), {}
    except ValidationFailed as error:
        figures, date_errors = indicators.indicators(get_session(), scope), error.field_errors
    choices = indicator_access.scope_choices(get_session()) if current_user.is_admin else []
    return render_template("indicators/overview.html", figures=figures, scope=scope, choices=choices,
                           date_errors=date_errors, args=request.args), 422 if date_errors else 200


@bp.get("/indicators.csv")
def export_csv():
    scope = _scope()
    name = f"indicators-{scope.kind}" + (f"-{scope.organisation_id}" if scope.organisation_id else "")
    return Response(indicators.as_csv(_figures(scope)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.get("/indicators/trust")
def trust():
    db = get_session()
    scope = indicator_access.trust_scope_for(db, current_user, optional_id(request.args.get("organisation")))
    rows = trust_overview.overview(db, get_engine(), current_user, scope)
    return render_template("indicators/trust.html", scope=scope, rows=rows)
