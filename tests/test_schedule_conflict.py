"""A schedule change that collides with someone else's at the database answers 409, not 500."""

import pytest
from sqlalchemy.exc import IntegrityError

from matchmaker.services.arenas import schedule
from matchmaker.services.errors import Conflict


class FailingSession:
    """Fails its flush the way a concurrent change does (a cancelled meeting cannot be placed)."""

    failed = False

    def flush(self):
        self.failed = True
        raise IntegrityError("UPDATE meetings SET slot_id=...", {}, Exception("ck_meetings_only_accepted_placed"))


def test_the_conflict_is_worded_before_the_flush_fails(app, monkeypatch):
    """After a failed flush the session loads nothing, not even the reader's language, so the
    message must already be there."""
    session, worded_after_failure = FailingSession(), []
    monkeypatch.setattr(schedule, "_", lambda text: worded_after_failure.append(session.failed) or text)
    with app.test_request_context(), pytest.raises(Conflict, match="Someone else changed the schedule"):
        schedule._flush(session)
    assert worded_after_failure == [False]
