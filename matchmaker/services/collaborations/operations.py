"""What the parties do with a collaboration. Every change is recorded as an event with who and
when; stage changes follow a fixed path, and refusals say what is possible instead."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from matchmaker.messages import Joined, _
from matchmaker.models import Collaboration, CollaborationEvent, CollaborationTerms, Meeting, Profile, User
from matchmaker.models.accounts import CARE_PROVIDER_KINDS
from matchmaker.models.types import utcnow
from matchmaker.services import notifications
from matchmaker.services.collaborations import terms as terms_rules
from matchmaker.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.funding import followers
from matchmaker.services.funding import links as funding_links
from matchmaker.services.schemas import text_within
from matchmaker.vocabulary import COLLABORATION_STAGES

# (from, to) -> who may make the move: the side that did not propose, either side, or the department.
MOVES = {
    ("proposed", "accepted"): "other",
    ("proposed", "declined"): "other",
    ("agreement", "testing"): "either",
    ("testing", "verified"): "department",
    ("proposed", "stopped"): "either",
    ("accepted", "stopped"): "either",
    ("agreement", "stopped"): "either",
    ("testing", "stopped"): "either",
}
EDITABLE_STAGES = ("proposed", "accepted")
COMMENT_LIMIT = 2000


def is_party(user: User | None, collaboration: Collaboration) -> bool:
    return user is not None and user.organisation_id in collaboration.party_ids


def can_view(user: User | None, collaboration: Collaboration) -> bool:
    return (collaboration.is_listed or is_party(user, collaboration) or bool(user and user.is_admin)
            or funding_links.agency_can_view(user, collaboration))


def can_read_comments(user: User | None, collaboration: Collaboration) -> bool:
    """Comments stay between the parties even when the collaboration is listed publicly."""
    return is_party(user, collaboration) or bool(user and user.is_admin)


def get_visible(session: Session, user: User | None, collaboration_id: int) -> Collaboration:
    """A private collaboration is 'not found' for anyone but its parties and administrators."""
    collaboration = session.get(Collaboration, collaboration_id)
    if collaboration is None or not can_view(user, collaboration):
        raise NotFound(_("No such collaboration."))
    return collaboration


def _ensure_party(user: User, collaboration: Collaboration) -> None:
    if not is_party(user, collaboration):
        raise PermissionDenied(_("Only %(supplier)s and %(department)s can change this collaboration.",
                                 supplier=collaboration.supplier.name, department=collaboration.department.name))


def propose(session: Session, user: User, need: Profile, capability: Profile | None, data: dict,
            meeting: Meeting | None = None, own_scope: bool = False) -> Collaboration:
    """A supplier proposes a test on a need, or the need's department invites a supplier.
    own_scope: refuse the template's prompt as the scope (a person must write their own)."""
    supplier_id, department_id = _parties(user, need, capability)
    cleaned = terms_rules.clean(data, _placeholders(need, capability, own_scope))
    collaboration = Collaboration(need=need, capability=capability, supplier_id=supplier_id,
                                  department_id=department_id, proposed_by_id=user.organisation_id,
                                  meeting_id=meeting.id if meeting else None)
    collaboration.terms = [CollaborationTerms(version=1, edited_by_id=user.id, **cleaned)]
    session.add(collaboration)
    session.flush()
    _record(collaboration, user, "created", to_stage="proposed", terms_version=1)
    _tell_other_side(session, user, collaboration, "collaboration_proposed")
    followers.need_changed(session, need, "collaboration", name=user.organisation.name)
    return collaboration


def _parties(user: User, need: Profile, capability: Profile | None) -> tuple[int, int]:
    organisation = user.organisation
    if need.kind != "need" or need.status != "published":
        raise ValidationFailed(_("Collaborations start from a published need."))
    if capability is not None and (capability.kind != "capability" or capability.status != "published"):
        raise ValidationFailed(_("Choose a published capability profile."))
    if organisation is not None and organisation.kind == "supplier":
        if capability is not None and capability.organisation_id != organisation.id:
            raise PermissionDenied(_("Propose with one of your own capability profiles."))
        return organisation.id, need.organisation_id
    owns_need = organisation is not None and organisation.id == need.organisation_id
    if owns_need and organisation.kind in CARE_PROVIDER_KINDS:
        if capability is None:
            raise ValidationFailed(_("Choose the supplier's capability profile to invite."))
        return capability.organisation_id, organisation.id
    raise PermissionDenied(_("Suppliers propose collaborations; a department invites suppliers to its own needs."))


def _placeholders(need: Profile, capability: Profile | None, own_scope: bool) -> set[str]:
    return terms_rules.placeholder_scopes(need, capability) if own_scope else set()


def update_terms(session: Session, user: User, collaboration: Collaboration, data: dict,
                 own_scope: bool = False) -> CollaborationTerms:
    """Adds a new version of the terms; earlier agreement to older terms no longer counts."""
    _ensure_party(user, collaboration)
    if collaboration.stage not in EDITABLE_STAGES:
        raise Conflict(_("The terms are fixed once both sides have agreed to them."))
    version = collaboration.current_terms.version + 1
    placeholders = _placeholders(collaboration.need, collaboration.capability, own_scope)
    terms = CollaborationTerms(version=version, edited_by_id=user.id, **terms_rules.clean(data, placeholders))
    collaboration.terms.append(terms)
    collaboration.supplier_agreed_version = collaboration.department_agreed_version = None
    session.flush()
    _record(collaboration, user, "terms", terms_version=version)
    _tell_other_side(session, user, collaboration, "collaboration_terms")
    return terms


def agree(session: Session, user: User, collaboration: Collaboration) -> Collaboration:
    """One side agrees to the current terms; when both have, the collaboration reaches agreement."""
    _ensure_party(user, collaboration)
    if collaboration.stage != "accepted":
        raise Conflict(_("Terms can be agreed once the proposal is accepted and before testing starts."))
    version = collaboration.current_terms.version
    if user.organisation_id == collaboration.supplier_id:
        collaboration.supplier_agreed_version = version
    else:
        collaboration.department_agreed_version = version
    _record(collaboration, user, "agreed", terms_version=version)
    if collaboration.supplier_agreed_version == collaboration.department_agreed_version == version:
        _set_stage(session, user, collaboration, "agreement", "")
    session.flush()
    return collaboration


def move(session: Session, user: User, collaboration: Collaboration, to_stage: str, note: str = "") -> Collaboration:
    _ensure_party(user, collaboration)
    who = MOVES.get((collaboration.stage, to_stage))
    if who is None:
        raise Conflict(_("From %(stage)s the collaboration can move to: %(options)s.",
                         stage=_stage(collaboration.stage), options=_next_stages(collaboration)))
    _check_mover(user, collaboration, who)
    note = text_within("note", note, COMMENT_LIMIT)
    if to_stage in ("stopped", "declined") and not note:
        raise ValidationFailed(_("Say briefly why."), {"note": _("Say briefly why.")})
    _set_stage(session, user, collaboration, to_stage, note)
    return collaboration


def _check_mover(user: User, collaboration: Collaboration, who: str) -> None:
    if _may_move(user, collaboration, who):
        return
    if who == "other":
        raise PermissionDenied(_("The other side answers a proposal."))
    raise PermissionDenied(_("%(department)s confirms that the solution is verified.",
                             department=collaboration.department.name))


def _may_move(user: User, collaboration: Collaboration, who: str) -> bool:
    if who == "other":
        return user.organisation_id != collaboration.proposed_by_id
    if who == "department":
        return user.organisation_id == collaboration.department_id
    return True


def allowed_moves(user: User | None, collaboration: Collaboration) -> list[str]:
    """The stages the user may move the collaboration to now, so clients only offer possible moves."""
    if not is_party(user, collaboration):
        return []
    return [to for (start, to), who in MOVES.items()
            if start == collaboration.stage and _may_move(user, collaboration, who)]


def _stage(code: str) -> object:
    """A stage's label, worded when shown."""
    return COLLABORATION_STAGES.get(code, code)


def _next_stages(collaboration: Collaboration) -> Joined:
    options = [_stage(to) for (start, to) in MOVES if start == collaboration.stage]
    if collaboration.stage == "accepted":
        options.insert(0, _("agreement (when both sides agree to the terms)"))
    return Joined(options, empty=_("nothing: this is a final stage"))


def _set_stage(session: Session, user: User, collaboration: Collaboration, to_stage: str, note: str) -> None:
    from_stage = collaboration.stage
    collaboration.stage, collaboration.stage_changed_at = to_stage, utcnow()
    session.flush()
    _record(collaboration, user, "stage", from_stage=from_stage, to_stage=to_stage, text=note)
    _tell_other_side(session, user, collaboration, "collaboration_stage", stage=to_stage)
    followers.collaboration_changed(session, collaboration, can_view)


def comment(session: Session, user: User, collaboration: Collaboration, text: str) -> CollaborationEvent:
    _ensure_party(user, collaboration)
    text = text_within("text", text, COMMENT_LIMIT, required=True,
                       message=_("Write a comment of at most %(count)d characters.", count=COMMENT_LIMIT))
    event = _record(collaboration, user, "comment", text=text)
    session.flush()
    _tell_other_side(session, user, collaboration, "collaboration_comment")
    return event


def request_changes(session: Session, user: User, collaboration: Collaboration, note: str) -> CollaborationEvent:
    """The side answering a proposal asks for other terms instead of declining it: said as a
    comment, so that both read what should change and the proposer can write new terms."""
    if collaboration.stage != "proposed" or not _may_move(user, collaboration, "other"):
        raise Conflict(_("Changes are asked for by the side that answers a proposal, before it is accepted."))
    return comment(session, user, collaboration, note)


def set_listing(session: Session, user: User, collaboration: Collaboration, listed: bool) -> Collaboration:
    """Each side decides for itself; the collaboration is public only when both have said yes."""
    _ensure_party(user, collaboration)
    if user.organisation_id == collaboration.supplier_id:
        collaboration.listed_by_supplier = listed
    else:
        collaboration.listed_by_department = listed
    _record(collaboration, user, "listing", text="yes" if listed else "no")
    session.flush()
    return collaboration


def publish_result(session: Session, user: User, collaboration: Collaboration, summary: str) -> Collaboration:
    """A verified collaboration's result, shown on the need and the capability profile."""
    _ensure_party(user, collaboration)
    if collaboration.stage != "verified":
        raise Conflict(_("Only a verified collaboration has a result to publish."))
    summary = text_within("summary", summary, COMMENT_LIMIT, required=True,
                          message=_("Summarise the result in at most %(count)d characters.", count=COMMENT_LIMIT))
    collaboration.result_summary, collaboration.result_published_at = summary, utcnow()
    _record(collaboration, user, "result", text=summary)
    session.flush()
    return collaboration


def _record(collaboration: Collaboration, user: User, kind: str, **fields) -> CollaborationEvent:
    event = CollaborationEvent(kind=kind, user_id=user.id, organisation_id=user.organisation_id, **fields)
    collaboration.events.append(event)
    return event


def _tell_other_side(session: Session, user: User, collaboration: Collaboration, kind: str, **params) -> None:
    other = collaboration.department_id if user.organisation_id == collaboration.supplier_id \
        else collaboration.supplier_id
    members = session.scalars(select(User).where(User.organisation_id == other))
    notifications.notify(session, members, kind, collaboration_id=collaboration.id, need=collaboration.need.title,
                         name=user.organisation.name if user.organisation else user.name, **params)


def collaborations_of(session: Session, user: User) -> list[Collaboration]:
    if user.organisation_id is None:
        return []
    return list(session.scalars(select(Collaboration).where(or_(
        Collaboration.supplier_id == user.organisation_id, Collaboration.department_id == user.organisation_id))
        .order_by(Collaboration.stage_changed_at.desc())))


def listed_collaborations(session: Session) -> list[Collaboration]:
    return list(session.scalars(select(Collaboration).where(
        Collaboration.listed_by_supplier.is_(True), Collaboration.listed_by_department.is_(True))
        .order_by(Collaboration.stage_changed_at.desc())))


def visible_collaborations(session: Session, user: User, include_listed: bool = False,
                           stage: str | None = None) -> list[Collaboration]:
    """The user's organisation's collaborations and, when asked, the publicly listed ones."""
    shown = [or_(Collaboration.supplier_id == user.organisation_id,
                 Collaboration.department_id == user.organisation_id)] if user.organisation_id else []
    if include_listed:
        shown.append(and_(Collaboration.listed_by_supplier.is_(True), Collaboration.listed_by_department.is_(True)))
    if not shown:
        return []
    query = select(Collaboration).where(or_(*shown))
    if stage is not None:
        query = query.where(Collaboration.stage == stage)
    return list(session.scalars(query.order_by(Collaboration.stage_changed_at.desc(), Collaboration.id.desc())))


def published_results(session: Session, profile: Profile) -> list[Collaboration]:
    column = Collaboration.need_id if profile.kind == "need" else Collaboration.capability_id
    return list(session.scalars(select(Collaboration).where(
        column == profile.id, Collaboration.result_published_at.is_not(None))))

