"""Notification preferences, the e-mail outbox and its sender, deadline reminders, and the
notification endpoints of the JSON API."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matchmaker.models import Collaboration, Notification
from matchmaker.models.activity import NotificationPreference, OutboxEmail
from matchmaker.models.funding import Follow, FundingInstrument, FundingLink
from matchmaker.models.types import utcnow
from matchmaker.services import notification_preferences, notifications, outbox, reminders
from matchmaker.services.notification_preferences import Channels
from matchmaker.vocabulary import NOTIFICATION_TOPICS

SUPPLIER, HEALTH = "supplier", "clinical_department"


@pytest.fixture
def request_context(app):
    """Services word their messages with gettext, which needs a request."""
    with app.test_request_context():
        yield


def _notifications(db, user) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def _outbox(db, user=None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if user is not None:
        query = query.where(OutboxEmail.user_id == user.id)
    return list(db.scalars(query))


def _prefer(db, user, topic: str, in_app: bool = True, email: bool = False) -> None:
    db.add(NotificationPreference(user_id=user.id, topic=topic, in_app=in_app, email=email))
    db.commit()


def _ask(db, user, arena_id: int = 1) -> None:
    notifications.notify(db, [user], "meeting_requested", arena_id=arena_id, title="Demo arena", name="Ada")
    db.commit()


# --- topics and preferences ------------------------------------------------------------------

def test_every_kind_has_a_topic_of_the_vocabulary():
    assert set(notifications.MESSAGES) <= set(notifications.KIND_TOPICS)
    assert set(notifications.KIND_TOPICS.values()) <= set(NOTIFICATION_TOPICS)
    assert notifications.topic_of("something_new") is None


@pytest.mark.usefixtures("request_context")
def test_default_is_in_the_app_and_no_email(make, db):
    user = make.user(kind=SUPPLIER)
    assert notification_preferences.all_channels(db, user)["requests"] == Channels(in_app=True, email=False)
    _ask(db, user)
    assert [n.kind for n in _notifications(db, user)] == ["meeting_requested"]
    assert _outbox(db) == []


@pytest.mark.usefixtures("request_context")
def test_turning_a_topic_off_in_the_app_stops_only_that_topic(make, db):
    user = make.user(kind=SUPPLIER)
    _prefer(db, user, "requests", in_app=False)
    _ask(db, user)
    notifications.notify(db, [user], "meeting_accepted", arena_id=1, title="Demo arena", name="Bo")
    db.commit()
    assert [n.kind for n in _notifications(db, user)] == ["meeting_accepted"]


@pytest.mark.usefixtures("request_context")
def test_email_is_queued_in_the_recipients_language_with_a_full_link(app, make, db):
    app.config["BASE_URL"] = "https://mm.example.org/"
    norwegian, english = make.user(kind=SUPPLIER, locale="nb"), make.user(kind=SUPPLIER)
    for user in (norwegian, english):
        _prefer(db, user, "requests", in_app=False, email=True)
    notifications.notify(db, [norwegian, english], "meeting_requested", arena_id=7, title="Demo arena", name="Ada")
    db.commit()
    [nb_mail], [en_mail] = _outbox(db, norwegian), _outbox(db, english)
    assert nb_mail.subject == "Ada vil møte deg på Demo arena."
    assert nb_mail.to_address == norwegian.email and nb_mail.kind == "meeting_requested"
    assert en_mail.subject == "Ada asks to meet you at Demo arena."
    assert "https://mm.example.org/arenas/7/requests" in nb_mail.body
    assert "https://mm.example.org/account/notifications" in en_mail.body
    assert _notifications(db, norwegian) == []


@pytest.mark.usefixtures("request_context")
def test_without_base_url_the_email_link_is_a_path(make, db):
    user = make.user(kind=SUPPLIER)
    _prefer(db, user, "requests", email=True)
    _ask(db, user, arena_id=3)
    assert "\n/arenas/3/requests\n" in _outbox(db, user)[0].body
    assert len(_notifications(db, user)) == 1


@pytest.mark.usefixtures("request_context")
def test_saving_unknown_topics_is_refused(make, db):
    from matchmaker.services.errors import ValidationFailed

    user = make.user(kind=SUPPLIER)
    with pytest.raises(ValidationFailed):
        notification_preferences.save(db, user, {"gossip": Channels()})


# --- the preferences page --------------------------------------------------------------------

def test_preferences_page_shows_and_saves_the_choices(client, auth, make, db):
    user = make.user(kind=SUPPLIER)
    auth.login(user)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.count('type="checkbox"') == 2 * len(NOTIFICATION_TOPICS)
    assert 'name="deadlines__in_app"' in page and 'name="deadlines__email"' in page
    form = {f"{topic}__in_app": "y" for topic in NOTIFICATION_TOPICS if topic != "schedule"}
    form["deadlines__email"] = "y"
    response = client.post("/account/notifications", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert "Your notification settings are saved." in response.get_data(as_text=True)
    saved = notification_preferences.all_channels(db, user)
    assert saved["deadlines"] == Channels(in_app=True, email=True)
    assert saved["schedule"] == Channels(in_app=False, email=False)
    assert saved["requests"] == Channels(in_app=True, email=False)


def test_notifications_page_links_to_the_settings(client, auth, make):
    auth.login(make.user(kind=SUPPLIER))
    assert 'href="/account/notifications"' in client.get("/notifications").get_data(as_text=True)


@pytest.mark.csrf
def test_preferences_form_without_csrf_token_is_refused(client, auth, make, db):
    user = make.user(kind=SUPPLIER)
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token})
    response = client.post("/account/notifications", data={"deadlines__email": "y"})
    assert response.status_code == 400
    assert db.scalars(select(NotificationPreference)).all() == []


# --- the outbox sender -----------------------------------------------------------------------

class FakeSMTP:
    """Stands in for smtplib.SMTP: records what was sent; refuses addresses in `refuse`."""

    sent: list = []
    refuse: set = set()
    connections = 0
    unreachable = False

    def __init__(self, host, port, timeout=None):
        if FakeSMTP.unreachable:
            raise ConnectionRefusedError("connection refused")
        FakeSMTP.connections += 1

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        if message["To"] in FakeSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such mailbox")})
        FakeSMTP.sent.append(message)

    def quit(self):
        pass


@pytest.fixture
def smtp(monkeypatch):
    monkeypatch.setattr(FakeSMTP, "sent", [])
    monkeypatch.setattr(FakeSMTP, "refuse", set())
    monkeypatch.setattr(FakeSMTP, "connections", 0)
    monkeypatch.setattr(FakeSMTP, "unreachable", False)
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def _queue(db, make, count: int = 1) -> list[OutboxEmail]:
    emails = [outbox.queue(db, make.user(kind=SUPPLIER), "meeting_requested", f"Subject {n}", f"Body {n}")
              for n in range(count)]
    db.commit()
    return emails


def _mail(app, *args):
    return app.test_cli_runner().invoke(args=["mail", *args])


def test_sender_sends_and_marks_sent(app, make, db, smtp):
    app.config["MAIL_FROM"] = "noreply@mm.example.org"
    emails = _queue(db, make, 2)
    result = _mail(app, "send")
    assert result.exit_code == 0, result.output
    assert "Sent 2 e-mails" in result.output
    assert [(m["To"], m["Subject"], m["From"]) for m in smtp.sent] == [
        (emails[0].to_address, "Subject 0", "noreply@mm.example.org"),
        (emails[1].to_address, "Subject 1", "noreply@mm.example.org")]
    assert smtp.sent[0].get_content().strip() == "Body 0"
    assert smtp.connections == 1
    for email in emails:
        db.refresh(email)
        assert email.sent_at is not None and email.attempts == 1
    assert _mail(app, "send").output.startswith("Sent 0 e-mails")
    assert len(smtp.sent) == 2


def test_failed_email_is_retried_until_the_limit(app, make, db, smtp):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    bad, good = _queue(db, make, 2)
    smtp.refuse = {bad.to_address}
    assert "1 failed" in _mail(app, "send").output
    db.refresh(bad)
    assert bad.sent_at is None and bad.attempts == 1 and "SMTPRecipientsRefused" in bad.last_error
    _mail(app, "send")
    db.refresh(bad)
    assert bad.attempts == 2
    smtp.refuse = set()
    _mail(app, "send")  # given up: not tried a third time
    db.refresh(bad)
    assert bad.attempts == 2 and bad.sent_at is None
    assert [m["To"] for m in smtp.sent] == [good.to_address]
    status = _mail(app, "status").output
    assert "given up after 2 attempts: 1" in status and "sent: 1" in status


def test_unreachable_server_charges_no_attempt(app, make, db, smtp):
    [email] = _queue(db, make)
    smtp.unreachable = True
    result = _mail(app, "send")
    assert result.exit_code == 1 and "cannot reach the mail server" in result.output
    db.refresh(email)
    assert email.attempts == 0 and email.sent_at is None


def test_dry_run_prints_and_sends_nothing(app, make, db, smtp):
    [email] = _queue(db, make)
    result = _mail(app, "send", "--dry-run")
    assert result.exit_code == 0
    assert "Subject: Subject 0" in result.output and email.to_address in result.output
    assert smtp.connections == 0 and smtp.sent == []
    db.refresh(email)
    assert email.sent_at is None and email.attempts == 0


def test_status_counts_waiting_and_sent(app, make, db, smtp):
    _queue(db, make, 3)
    assert "waiting: 3 (of which retrying: 0)" in _mail(app, "status").output
    _mail(app, "send", "--limit", "1")
    output = _mail(app, "status").output
    assert "waiting: 2" in output and "sent: 1" in output


@pytest.mark.only_on("postgresql")
def test_a_locked_email_is_skipped_by_another_sender(engine):
    """Two senders on PostgreSQL: the second passes over the row the first holds."""
    with Session(engine) as setup:
        emails = [OutboxEmail(to_address=f"lock{n}@example.org", subject="s", body="b", kind="test")
                  for n in range(2)]
        setup.add_all(emails)
        setup.commit()
        ids = [email.id for email in emails]
    try:
        with Session(engine) as first, Session(engine) as second:
            held = outbox.next_unsent(first, min(ids) - 1, 5)
            other = outbox.next_unsent(second, min(ids) - 1, 5)
            assert held.id == ids[0] and other.id == ids[1]
            first.rollback()
            second.rollback()
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(OutboxEmail).where(OutboxEmail.id.in_(ids)))
            cleanup.commit()


# --- deadline reminders ----------------------------------------------------------------------

def _kinds(db, user) -> list[str]:
    return [n.kind for n in _notifications(db, user)]


@pytest.mark.usefixtures("request_context")
def test_meeting_request_reminder_goes_once_to_whoever_must_answer(make, db):
    arena = make.arena(request_deadline=utcnow() + timedelta(hours=10))
    asker, other_asker, busy, asked = (make.participant(arena, kind=kind)
                                       for kind in (SUPPLIER, SUPPLIER, HEALTH, HEALTH))
    make.meeting(arena, asker, busy, status="pending")
    make.meeting(arena, other_asker, busy, status="pending")
    make.meeting(arena, busy, asked, status="pending")
    make.meeting(arena, asker, asked, status="accepted")
    assert reminders.send_deadline_reminders(db) == 2
    db.commit()
    [reminder] = _notifications(db, busy.user)
    assert reminder.kind == "meeting_request_deadline" and reminder.params["count"] == 2
    assert "2 meeting requests at" in notifications.message(reminder)
    assert _kinds(db, asked.user) == ["meeting_request_deadline"]
    assert _kinds(db, asker.user) == [] and _kinds(db, other_asker.user) == []
    assert reminders.send_deadline_reminders(db) == 0
    assert len(_notifications(db, busy.user)) == 1


@pytest.mark.usefixtures("request_context")
@pytest.mark.parametrize("hours", [30, -1])
def test_no_meeting_reminder_outside_the_last_day(make, db, hours):
    arena = make.arena(request_deadline=utcnow() + timedelta(hours=hours))
    asker, asked = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    make.meeting(arena, asker, asked, status="pending")
    assert reminders.send_deadline_reminders(db) == 0
    assert _notifications(db, asked.user) == []


@pytest.mark.usefixtures("request_context")
def test_an_email_only_reminder_is_also_sent_once(make, db):
    arena = make.arena(request_deadline=utcnow() + timedelta(hours=2))
    asker, asked = make.participant(arena, kind=SUPPLIER), make.participant(arena, kind=HEALTH)
    _prefer(db, asked.user, "deadlines", in_app=False, email=True)
    make.meeting(arena, asker, asked, status="pending")
    assert reminders.send_deadline_reminders(db) == 1
    db.commit()
    assert reminders.send_deadline_reminders(db) == 0
    [email] = _outbox(db, asked.user)
    assert email.kind == "meeting_request_deadline" and len(email.reference) == 12
    assert "1 meeting request at" in email.subject
    assert _notifications(db, asked.user) == []


def _instrument(make, db, days: int, **fields) -> FundingInstrument:
    instrument = FundingInstrument(organisation=make.organisation("funding_agency"), title="Innovation call",
                                   description="Money for tests.", language="en", status="published",
                                   deadline=(utcnow() + timedelta(days=days)).date(), **fields)
    db.add(instrument)
    db.commit()
    return instrument


def _collaboration(make, db, stage: str = "testing") -> Collaboration:
    need = make.need()
    supplier = make.organisation(SUPPLIER)
    collaboration = Collaboration(need=need, supplier=supplier, department=need.organisation,
                                  proposed_by_id=supplier.id, stage=stage)
    db.add(collaboration)
    db.commit()
    return collaboration


@pytest.mark.usefixtures("request_context")
def test_funding_reminder_reaches_parties_and_followers_once(make, db):
    instrument, far = _instrument(make, db, days=10), _instrument(make, db, days=20)
    collaboration, stopped = _collaboration(make, db), _collaboration(make, db, stage="stopped")
    supplier_member, department_member = (make.user(organisation) for organisation in
                                          (collaboration.supplier, collaboration.department))
    stopped_member = make.user(stopped.supplier)
    collaboration_follower, need_follower, bystander = (make.user(kind="funding_agency") for _ in range(3))
    db.add_all([FundingLink(collaboration_id=collaboration.id, instrument=instrument),
                FundingLink(collaboration_id=stopped.id, instrument=instrument),
                FundingLink(collaboration_id=collaboration.id, instrument=far),
                Follow(user=collaboration_follower, collaboration_id=collaboration.id),
                Follow(user=need_follower, need_id=make.need().id, instrument_id=instrument.id)])
    db.commit()
    assert reminders.send_deadline_reminders(db) == 4
    db.commit()
    for user in (supplier_member, department_member, collaboration_follower, need_follower):
        [reminder] = _notifications(db, user)
        assert reminder.kind == "funding_deadline" and reminder.params["instrument_id"] == instrument.id
    assert notifications.link(db, _notifications(db, supplier_member)[0]) == f"/collaborations/{collaboration.id}"
    assert "/needs/" in notifications.link(db, _notifications(db, need_follower)[0])
    assert "Innovation call" in notifications.message(_notifications(db, need_follower)[0])
    assert _notifications(db, stopped_member) == [] and _notifications(db, bystander) == []
    assert reminders.send_deadline_reminders(db) == 0


def test_deadlines_command_prints_how_many_were_sent(app, make, db):
    """Run from cron there is no request: the e-mail is worded and linked all the same."""
    app.config["BASE_URL"] = "https://mm.example.org"
    arena = make.arena(request_deadline=utcnow() + timedelta(hours=5))
    asked = make.participant(arena, kind=HEALTH)
    _prefer(db, asked.user, "deadlines", email=True)
    make.meeting(arena, make.participant(arena, kind=SUPPLIER), asked, status="pending")
    runner = app.test_cli_runner()
    assert "Sent 1 deadline reminders." in runner.invoke(args=["notifications", "deadlines"]).output
    assert "Sent 0 deadline reminders." in runner.invoke(args=["notifications", "deadlines"]).output
    [email] = _outbox(db, asked.user)
    assert f"https://mm.example.org/arenas/{arena.id}/requests" in email.body
    assert email.subject.startswith("1 meeting request at")


# --- the JSON API ----------------------------------------------------------------------------

def test_api_lists_notifications_worded_and_marks_them_read(app, api, make, db):
    user = make.user(kind=SUPPLIER, locale="sv")
    with app.test_request_context():
        _ask(db, user, arena_id=5)
    client = api.as_user(user)
    body = client.get("/api/v1/notifications").get_json()
    assert body["unread"] == 1
    [item] = body["items"]
    assert item["kind"] == "meeting_requested" and item["topic"] == "requests" and item["read"] is False
    assert item["message"] != "Ada asks to meet you at Demo arena." and "Ada" in item["message"]
    assert item["link"] == "/arenas/5/requests"
    assert client.post("/api/v1/notifications/read").get_json() == {"marked": 1}
    assert client.get("/api/v1/notifications").get_json()["items"][0]["read"] is True


def test_api_reads_and_changes_preferences(api, make, db):
    client = api.as_user(make.user(kind=SUPPLIER))
    assert client.get("/api/v1/notification-preferences").get_json()["deadlines"] == {"in_app": True, "email": False}
    response = client.put("/api/v1/notification-preferences", json={"deadlines": {"email": True}})
    assert response.status_code == 200
    assert response.get_json()["deadlines"] == {"in_app": True, "email": True}
    assert response.get_json()["requests"] == {"in_app": True, "email": False}
    stored = db.scalars(select(NotificationPreference)).all()
    assert [(p.topic, p.in_app, p.email) for p in stored] == [("deadlines", True, True)]


@pytest.mark.parametrize(("body", "status"), [
    ({"gossip": {"email": True}}, 422), ({"deadlines": {"email": "yes"}}, 422),
    ({"deadlines": {"sms": True}}, 422), ([1, 2], 400)])
def test_api_refuses_bad_preferences(api, make, db, body, status):
    response = api.as_user(make.user(kind=SUPPLIER)).put("/api/v1/notification-preferences", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["status"] == status
    assert db.scalars(select(NotificationPreference)).all() == []


def test_api_notifications_need_a_token_and_are_documented(client):
    assert client.get("/api/v1/notifications").status_code == 401
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "put"} <= set(paths["/notification-preferences"])
    assert "post" in paths["/notifications/read"]


def test_admins_hear_of_an_organisation_waiting_for_approval(client, auth, make, db):
    admin = make.user(is_admin=True)
    client.post("/register", data={
        "name": "Kari Nordmann", "email": "kari@example.org", "password": "a-long-password",
        "organisation_name": "Slagenheten, Demo HF", "organisation_kind": "clinical_department", "country": "NO"})
    waiting = _notifications(db, admin)
    assert [(n.kind, n.params["organisation"]) for n in waiting] == [("organisation_waiting", "Slagenheten, Demo HF")]
    client.post("/logout")
    auth.login(admin)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Kari Nordmann registered Slagenheten, Demo HF, which waits for your approval." in page
    assert 'href="/admin/organisations?state=pending"' in page
