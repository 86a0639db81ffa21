"""The landing page and each role's dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from matchmaker.database import get_session
from matchmaker.matching.runtime import get_engine
from matchmaker.services import dashboard
from matchmaker.services.dashboard.funder import is_new
from matchmaker.web.sign_in import public

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/landing.html", counts=dashboard.public_counts(get_session()))


@bp.get("/dashboard", endpoint="dashboard")
def dashboard_page():
    # Only a funder's dashboard ranks needs, so only it needs the matching engine.
    engine = get_engine() if current_user.role == "funder" else None
    overview = dashboard.overview(get_session(), current_user, engine)
    return render_template("main/dashboard.html", overview=overview, is_new_need=is_new)
