"""Demo content: organisations and profiles from demo.jsonl, one account per role, an arena whose
meetings the matching engine chose, funding instruments, collaborations and notifications."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.demo.arena import load_demo_arena
from matchmaker.demo.collaborations import load_demo_collaborations
from matchmaker.demo.funding import load_demo_funding, load_demo_funding_interest
from matchmaker.demo.notifications import load_demo_notifications
from matchmaker.demo.people import NameBook
from matchmaker.demo.progress import QUIET, Progress
from matchmaker.matching.runtime import get_encoder
from matchmaker.models import Organisation, User
from matchmaker.services.accounts import create_user
from matchmaker.services.organisations import pending_organisations
from matchmaker.services.transfer import import_lines

DEMO_FILE = Path(__file__).with_name("demo.jsonl")
DEMO_PASSWORD = "demo-password"
# role -> (e-mail, name, organisation external id or None for the administrator)
DEMO_ACCOUNTS = {
    "founder": ("founder@demo.example.org", "Ingrid Solheim", "org-demo-supplier"),
    "clinician": ("clinician@demo.example.org", "Kari Nordmann", "org-demo-department"),
    "funder": ("funder@demo.example.org", "Lars Eriksson", "org-demo-funder"),
    "organiser": ("organiser@demo.example.org", "Sofia Lindqvist", "org-demo-organiser"),
    "admin": ("admin@demo.example.org", "Ada Admin", None),
}
# What earlier versions of the demo called its accounts, renamed when the demo is loaded again.
EARLIER_NAMES = {"Ingrid Founder", "Dr. Kari Clinician", "Lars Funder", "Sofia Organiser"}


def load_demo_data(session: Session, progress: Progress = QUIET) -> dict:
    """Import the demo file (re-running updates it), make sure the demo accounts exist, and add
    the arena, funding, collaborations and notifications the first time."""
    emails = {role: account[0] for role, account in DEMO_ACCOUNTS.items()}
    progress.step("Loading the language model\u2026")
    get_encoder()  # loaded here, so that its minute is not mistaken for the import's
    _import_profiles(session, progress)
    progress.step("Creating the demo accounts\u2026")
    _accounts(session)
    progress.step("Building the demo arena from the best matches\u2026")
    load_demo_arena(session, DEMO_PASSWORD, DEMO_ACCOUNTS["organiser"][2], emails, progress)
    progress.step("Adding funding instruments\u2026")
    load_demo_funding(session, DEMO_ACCOUNTS["funder"][2])
    progress.step("Adding collaborations with a history\u2026")
    load_demo_collaborations(session)
    load_demo_funding_interest(session, emails["funder"])
    progress.step("Adding notifications\u2026")
    load_demo_notifications(session, emails)
    return {"password": DEMO_PASSWORD, "accounts": emails}


def _import_profiles(session: Session, progress: Progress) -> None:
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()
    kinds = Counter(json.loads(line)["kind"] for line in lines if line.strip())
    profiles = kinds["need"] + kinds["capability"]
    progress.step(f"Creating {kinds['organisation']} organisations and {profiles} profiles\u2026")
    with progress.bar(f"Embedding {profiles} profiles", profiles) as advance:
        import_lines(session, lines, embed_progress=advance)


def _accounts(session: Session) -> None:
    for email, name, organisation_id in DEMO_ACCOUNTS.values():
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.name in EARLIER_NAMES:
            user.name = name
        if user is None:
            organisation = session.scalar(select(Organisation).where(Organisation.external_id == organisation_id)) \
                if organisation_id else None
            create_user(session, email, name, DEMO_PASSWORD, organisation, is_admin=organisation_id is None)
    _name_earlier_contacts(session)
    _register_waiting_organisations(session)


def _register_waiting_organisations(session: Session) -> None:
    """An organisation waiting for approval was registered by someone: the admin sees who."""
    book = NameBook(set(session.scalars(select(User.name))))
    for organisation in pending_organisations(session):
        if organisation.members:
            continue
        slug = organisation.external_id.removeprefix("org-")
        create_user(session, f"contact@{slug}.demo.example.org", book.next(organisation.country), DEMO_PASSWORD,
                    organisation)


def _name_earlier_contacts(session: Session) -> None:
    """Contacts an earlier demo named after their organisation get a person's name."""
    book = NameBook(set(session.scalars(select(User.name))))
    for user in session.scalars(select(User).where(User.email.like("contact@%.demo.example.org"),
                                                   User.name.like("Contact, %")).order_by(User.id)):
        user.name = book.next(user.organisation.country if user.organisation else None)
