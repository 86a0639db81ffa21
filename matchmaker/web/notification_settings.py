"""/account/notifications: which topics show in the app and which come by e-mail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField

from matchmaker.database import get_session
from matchmaker.services import notification_preferences as preferences
from matchmaker.vocabulary import NOTIFICATION_TOPICS

bp = Blueprint("notification_settings", __name__, url_prefix="/account")


def _field_name(topic: str, channel: str) -> str:
    return f"{topic}__{channel}"


def _form_class() -> type[FlaskForm]:
    """One checkbox per topic and channel; built from the vocabulary so a new topic just appears."""
    fields = {_field_name(topic, channel): BooleanField()
              for topic in NOTIFICATION_TOPICS for channel in preferences.CHANNELS}
    return type("NotificationSettingsForm", (FlaskForm,), fields)


def _form(**kwargs) -> FlaskForm:
    current = preferences.all_channels(get_session(), current_user)
    data = {_field_name(topic, channel): getattr(channels, channel)
            for topic, channels in current.items() for channel in preferences.CHANNELS}
    return _form_class()(data=data, **kwargs)


def _choices(form: FlaskForm) -> dict[str, preferences.Channels]:
    return {topic: preferences.Channels(**{channel: bool(form[_field_name(topic, channel)].data)
                                           for channel in preferences.CHANNELS})
            for topic in NOTIFICATION_TOPICS}


def _page(form: FlaskForm, status: int = 200):
    rows = [(topic, label, form[_field_name(topic, "in_app")], form[_field_name(topic, "email")])
            for topic, label in NOTIFICATION_TOPICS.items()]
    return render_template("account/notifications.html", form=form, rows=rows), status


@bp.get("/notifications")
def index():
    return _page(_form())


@bp.post("/notifications")
def save():
    form = _form_class()()
    if not form.validate_on_submit():
        return _page(form, 422)
    preferences.save(get_session(), current_user, _choices(form))
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notification_settings.index"))
