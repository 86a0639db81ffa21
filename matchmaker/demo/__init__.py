"""Demo content: organisations and profiles from demo.jsonl, and one account per role."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.demo.arena import load_demo_arena
from matchmaker.demo.collaborations import load_demo_collaborations
from matchmaker.demo.funding import load_demo_funding
from matchmaker.models import Organisation, User
from matchmaker.services.accounts import create_user
from matchmaker.services.transfer import import_lines

DEMO_FILE = Path(__file__).with_name("demo.jsonl")
DEMO_PASSWORD = "demo-password"
# role -> (e-mail, name, organisation external id or None for the administrator)
DEMO_ACCOUNTS = {
    "founder": ("founder@demo.example.org", "Ingrid Founder", "org-demo-supplier"),
    "clinician": ("clinician@demo.example.org", "Dr. Kari Clinician", "org-demo-department"),
    "funder": ("funder@demo.example.org", "Lars Funder", "org-demo-funder"),
    "organiser": ("organiser@demo.example.org", "Sofia Organiser", "org-demo-organiser"),
    "admin": ("admin@demo.example.org", "Ada Admin", None),
}


def load_demo_data(session: Session) -> dict:
    """Import the demo file (re-running updates it) and make sure the demo accounts exist."""
    import_lines(session, DEMO_FILE.read_text(encoding="utf-8").splitlines())
    for email, name, organisation_id in DEMO_ACCOUNTS.values():
        if session.scalar(select(User.id).where(User.email == email)) is None:
            organisation = session.scalar(select(Organisation).where(Organisation.external_id == organisation_id)) \
                if organisation_id else None
            create_user(session, email, name, DEMO_PASSWORD, organisation, is_admin=organisation_id is None)
    load_demo_arena(session, DEMO_PASSWORD, DEMO_ACCOUNTS["organiser"][2])
    load_demo_funding(session, DEMO_ACCOUNTS["funder"][2])
    load_demo_collaborations(session)
    return {"password": DEMO_PASSWORD, "accounts": {role: a[0] for role, a in DEMO_ACCOUNTS.items()}}
