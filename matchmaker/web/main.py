"""The landing page and each role's dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from matchmaker.database import get_session
from matchmaker.services import dashboard

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/landing.html", counts=dashboard.public_counts(get_session()))


@bp.get("/dashboard", endpoint="dashboard")
@login_required
def dashboard_page():
    overview = dashboard.overview(get_session(), current_user)
    return render_template("main/dashboard.html", overview=overview)
