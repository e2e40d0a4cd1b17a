"""The documents of a confidence round, on the document engine (evalapp.documents): vote-count
minutes, blank numbered ballots and result notices, as A4 PDFs in the Vietnamese administrative
layout.

The round owns them (owner type "ballot_round"); a notice's subject is the person voted on it is
addressed to ("ballot_candidate"). What each shows, who signs it, who may issue and read it, the
heading and date line, the body's register and the file names are answered here and registered
with the engine at import (see the end of this module); rendering, numbering, storing, signing
and verifying are the engine's.

Services take the acting user and the objects, flush, write one audit entry and never commit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from evalapp.audit.services import record
from evalapp.auth.models import User
from evalapp.ballots import paper, recheck
from evalapp.ballots import services as ballots
from evalapp.ballots.lifecycle import paper_ballot_refusal
from evalapp.ballots.models import (
    BASE_LABELS,
    OFFICER_LABELS,
    BallotCandidate,
    BallotOfficer,
    BallotRound,
    OfficerRole,
    PaperRecheck,
    RoundStatus,
)
from evalapp.box import services as box
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.text import nfc_or_none
from evalapp.documents import services as engine
from evalapp.documents.models import IssuedDocument
from evalapp.documents.registry import (
    DocumentOwner,
    DocumentPlan,
    DocumentType,
    KindEnum,
    Signer,
    register_document_type,
    register_owner,
)
from evalapp.documents.rendering import Formats, locality_from_name, sha256_json, slug
from evalapp.documents.rendering import issuer_code as symbol_of
from evalapp.documents.rendering import number_label as format_number_label
from evalapp.extensions import db
from evalapp.org.models import Gender, Unit
from evalapp.tally import paper as rules_paper
from evalapp.tally import rules
from evalapp.tally.paper import BLANK, SEVERAL, InvalidReason, PaperBallot, PaperCount
from evalapp.tally.rules import Band, Scale


class DocumentKind(KindEnum):
    MINUTES = "minutes"          # biên bản kiểm phiếu
    BLANK_BALLOTS = "ballots"    # phiếu lấy phiếu tín nhiệm (blank, numbered)
    RESULT_NOTICE = "notice"     # thông báo kết quả to one person voted on
    ENTRY_LOG = "paper_log"      # nhật ký nhập phiếu: every entry of every paper ballot
    RECHECK = "recheck"          # biên bản phúc tra: a sealed batch of paper ballots re-keyed


NOT_ON_LIST = _l("This person is not on the round's list.")
NO_LOCALITY = _l("The date line of the documents needs a place name, and none is known for "
                 "this round: enter it under “Heading and date line” in the round’s "
                 "documents (for example: Hòa Bình).")


# ---------------------------------------------------------------- who may

def can_issue(user, round_: BallotRound) -> bool:
    """The secretary, the counting team, the chair and the round's admins."""
    return ballots.can_count(user, round_)


def can_download(user, document: IssuedDocument, round_: BallotRound) -> bool:
    """Those who may issue the round's documents, and the person a notice is addressed to once
    the round lets people voted on see their own result."""
    if can_issue(user, round_):
        return True
    if document.kind is DocumentKind.RESULT_NOTICE and ballots.can_see_own_result(user, round_):
        own = ballots.own_candidacy(user, round_)
        return own is not None and own.id == document.subject_id
    return False


# ---------------------------------------------------------------- fingerprints


def tally_fingerprint_payload(round_: BallotRound) -> dict:
    """What the tally fingerprint is taken over: the round's counts and, for every person voted
    on in ballot order, the count of each level of the scale (percentages are derived)."""
    counts = ballots.round_counts(round_)
    tally = ballots.tally_of(round_)
    by_id = {c.id: c for c in round_.active_candidates}
    return {
        "format": "evalapp-tally-1",
        "round_id": round_.id,
        "scale": round_.scale.value,
        "base": round_.base.value,
        "counts": {"summoned": counts.summoned, "present": counts.present,
                   "issued": counts.issued, "collected": counts.collected,
                   "valid": counts.valid, "invalid": counts.invalid},
        "candidates": [
            {"position": index, "candidate_id": line.candidate_id,
             "full_name": by_id[line.candidate_id].full_name,
             "counts": {level.value: line.counts[level] for level in round_.scale.levels}}
            for index, line in enumerate(tally.candidates, start=1)],
    }


def tally_fingerprint(round_: BallotRound) -> str:
    """SHA-256 (hex) of the canonical JSON of tally_fingerprint_payload: keys sorted, no
    spaces, UTF-8, NFC."""
    return sha256_json(tally_fingerprint_payload(round_))


def roll_fingerprint_payload(round_: BallotRound) -> dict:
    """What the roll fingerprint is taken over: every summoned voter (person id, name as on the
    roll, present or not), by person id."""
    return {
        "format": "evalapp-roll-1",
        "round_id": round_.id,
        "voters": [[v.person_id, v.full_name, bool(v.present)]
                   for v in sorted(round_.voters, key=lambda v: v.person_id)],
    }


def roll_fingerprint(round_: BallotRound) -> str:
    """SHA-256 (hex) of the canonical JSON of roll_fingerprint_payload."""
    return sha256_json(roll_fingerprint_payload(round_))


# ---------------------------------------------------------------- heading, date line, number

# Kinds of document that take a number of the body's register, with the abbreviation of their
# kind in the number ("01/BB-SNV": biên bản; "05/TB-SNV": thông báo). Blank ballots are forms.
# The entry log is not one of the kinds of Decree 30/2020 (Appendix III); it takes the body's
# register as "NK" (nhật ký). A re-check record is a biên bản.
NUMBERED_KINDS = {DocumentKind.MINUTES: "BB", DocumentKind.RESULT_NOTICE: "TB",
                  DocumentKind.ENTRY_LOG: "NK", DocumentKind.RECHECK: "BB"}


def locality_of(round_: BallotRound) -> str | None:
    """The place name of the date line: the round's own, else the one configured for the
    instance (EVALAPP_DOCUMENT_LOCALITY), else the one the name of the body, of its governing
    body, or of the round's unit and the units above it carries."""
    if round_.locality:
        return round_.locality
    configured = current_app.config.get("DOCUMENT_LOCALITY")
    if configured:
        return unicodedata.normalize("NFC", configured)
    names = [round_.body_name, round_.governing_body_name]
    unit = round_.unit
    while unit is not None:
        names.append(unit.name)
        unit = unit.parent
    return next((place for place in map(locality_from_name, names) if place), None)


def document_date(round_: BallotRound) -> date | None:
    """The date a round's documents bear: the meeting's date, else the day voting opened (in
    Vietnam time), never the day of printing."""
    if round_.meeting_date is not None:
        return round_.meeting_date
    for moment in (round_.opened_at, round_.closed_at, round_.counted_at):
        if moment is not None:
            return Formats.local(moment).date()
    return None


def issuing_unit(round_: BallotRound) -> Unit | None:
    """The unit whose name is the body's ("Sở Nội vụ"): the round's unit or one above it first,
    then any other; None when no unit bears that name."""
    wanted = unicodedata.normalize("NFC", round_.body_name).strip().casefold()
    unit = round_.unit
    while unit is not None:
        if unicodedata.normalize("NFC", unit.name).strip().casefold() == wanted:
            return unit
        unit = unit.parent
    return db.session.execute(
        select(Unit).where(Unit.active.is_(True),
                           Unit.name == unicodedata.normalize("NFC", round_.body_name).strip())
        .order_by(Unit.path, Unit.id).limit(1)).scalar()


def register_unit(round_: BallotRound) -> Unit:
    """Whose register numbers the round's documents: the unit named like the body, else the
    round's unit."""
    return issuing_unit(round_) or round_.unit


def issuer_code(round_: BallotRound) -> str:
    """The body's part of a document symbol: the code of the unit named like the body ("SNV",
    "TU"), else the initials of the body's name without its place ("Tỉnh ủy Hòa Bình" → "TU",
    "Ban Tổ chức" → "BTC", "Ủy ban nhân dân xã Tân Lập" → "UBND")."""
    unit = issuing_unit(round_)
    return symbol_of(round_.body_name, unit.code if unit is not None else None)


def number_label(round_: BallotRound, kind: DocumentKind, number: int) -> str:
    """The number as printed after "Số": "01/BB-SNV" (state), "01-BB/TU" (Party)."""
    return format_number_label(round_.unit.kind.is_party, NUMBERED_KINDS[kind],
                               issuer_code(round_), number)


# ---------------------------------------------------------------- signers

# Signature blocks of the minutes, in this order: the counting team, the secretary, the chair.
MINUTES_SIGNER_ROLES = (OfficerRole.COUNTER_HEAD, OfficerRole.COUNTER, OfficerRole.SECRETARY,
                        OfficerRole.CHAIR)
# A notice is signed by the chair, or by the head of the counting team when there is no chair.
NOTICE_SIGNER_ROLES = (OfficerRole.CHAIR, OfficerRole.COUNTER_HEAD)


def minutes_role_label(round_: BallotRound, role: OfficerRole) -> str:
    """How a role signs the minutes: a Party body's minutes are signed by the "Người ghi biên
    bản" (the secretary) and the "Chủ trì hội nghị" (Hướng dẫn of the Party's Office)."""
    if role is OfficerRole.SECRETARY and round_.unit.kind.is_party:
        return str(_l("Minutes taker"))
    return str(OFFICER_LABELS[role])


def minutes_signers(round_: BallotRound) -> list[Signer]:
    """One block per person: someone who is both secretary and counter signs once, as both."""
    officers = sorted(round_.officers,
                      key=lambda o: (MINUTES_SIGNER_ROLES.index(o.role), o.id or 0))
    roles: dict[int, list[OfficerRole]] = {}
    users = {}
    for officer in officers:
        roles.setdefault(officer.user_id, []).append(officer.role)
        users[officer.user_id] = officer.user
    signers = []
    for position, (user_id, held) in enumerate(roles.items(), start=1):
        label = ", ".join(minutes_role_label(round_, role) for role in held)
        signers.append(Signer(field_name=f"sig-{position}", position=position, user_id=user_id,
                              full_name=users[user_id].full_name, role_label=label,
                              roles=tuple(held)))
    return signers


@dataclass(frozen=True)
class SignatureRows:
    """Where the minutes' blocks stand: the counting team's first, then the closing row with
    the minutes taker (secretary) on the left and the chair on the right."""

    team: list[Signer]
    left: Signer | None
    right: Signer | None


def signature_rows(signers: list[Signer]) -> SignatureRows:
    right = next((s for s in signers if OfficerRole.CHAIR in s.roles), None)
    left = next((s for s in signers if OfficerRole.SECRETARY in s.roles and s is not right),
                None)
    return SignatureRows(team=[s for s in signers if s is not left and s is not right],
                         left=left, right=right)


def notice_signers(round_: BallotRound) -> list[Signer]:
    for role in NOTICE_SIGNER_ROLES:
        officer = next((o for o in sorted(round_.officers, key=lambda o: o.id or 0)
                        if o.role is role), None)
        if officer is not None:
            return [Signer(field_name="sig-1", position=1, user_id=officer.user_id,
                           full_name=officer.user.full_name,
                           role_label=str(OFFICER_LABELS[role]), roles=(role,))]
    return []


# ---------------------------------------------------------------- what each document shows


@dataclass
class CandidateLine:
    number: int
    candidate: BallotCandidate
    counts: dict
    percents: dict
    blank: int
    band: Band | None


@dataclass(frozen=True)
class CodeFacts:
    """The round's anonymous ballot codes, in numbers (never which code, never whose)."""

    generated: int
    cast: int      # ballots cast with a code (the codes spent)
    handed: int    # code slips recorded on the roll as handed out

    @property
    def void(self) -> int:
        return self.generated - self.cast


@dataclass
class RoundFacts:
    """The numbers of a counted round, ready for a template."""

    counts: rules.RoundCounts
    base_label: str
    base_value: int
    quorum_met: bool
    present_percent: Decimal
    lines: list[CandidateLine] = field(default_factory=list)
    # Of the ballots collected, on paper and in the browser (None: the round takes no paper).
    paper_collected: int | None = None
    # Anonymous ballot codes (None: none generated): generated, cast with, slips handed out.
    codes: CodeFacts | None = None

    @property
    def browser_collected(self) -> int | None:
        if self.paper_collected is None:
            return None
        return self.counts.collected - self.paper_collected

    @property
    def any_blank(self) -> bool:
        return any(line.blank for line in self.lines)

    def band_lines(self, band: Band) -> list[CandidateLine]:
        return [line for line in self.lines if line.band is band]


def _facts(round_: BallotRound) -> RoundFacts:
    tally = ballots.tally_of(round_)
    counts = tally.counts
    by_id = {c.id: c for c in round_.active_candidates}
    return RoundFacts(
        counts=counts, base_label=str(BASE_LABELS[round_.base]), base_value=tally.base_value,
        quorum_met=rules.quorum_met(counts.present, counts.summoned),
        present_percent=rules.percent(counts.present, counts.summoned),
        lines=[CandidateLine(number=i, candidate=by_id[line.candidate_id],
                             counts=dict(line.counts), percents=dict(line.percents),
                             blank=line.blank, band=line.band)
               for i, line in enumerate(tally.candidates, start=1)],
        paper_collected=(round_.paper_collected_count or 0)
        if round_.ballot_kinds.takes_paper else None,
        codes=_code_facts(round_))


def _code_facts(round_: BallotRound) -> CodeFacts | None:
    generated, cast = box.codes_count(ballots.round_box(round_))
    if not generated:
        return None
    return CodeFacts(generated=generated, cast=cast,
                     handed=ballots.slips_handed(round_))


# How the documents name the vote, per scale (the documents of evaluation rounds are theirs).
DOCUMENT_WORDING = {
    Scale.THREE_LEVEL: {
        "ballot_title": _l("Confidence ballot"),
        "minutes_subtitle": _l("Counting the votes of the confidence ballot"),
        "minutes_no_band": _l("Nobody received more than one half of the base in "
                              "low-confidence votes."),
        "notice_subtitle": _l("Result of the confidence ballot"),
        "notice_no_band": _l("The result is in none of the bands the rules name for more than "
                             "one half of low-confidence votes."),
    },
    Scale.TWO_LEVEL: {
        "ballot_title": _l("No-confidence ballot"),
        "minutes_subtitle": _l("Counting the votes of the no-confidence vote"),
        "minutes_no_band": _l("Nobody received more than one half of the base in "
                              "no-confidence votes."),
        "notice_subtitle": _l("Result of the no-confidence vote"),
        "notice_no_band": _l("The result is in none of the bands the rules name for more than "
                             "one half of no-confidence votes."),
    },
}


def _scale_context(round_: BallotRound) -> dict[str, Any]:
    """The round's scale as the templates print it: its levels and their labels, the bands and
    their marks (in the minutes' notes column, explained under the table), and how the documents
    name the vote. The scale's levels, labels and bands are data (evalapp.tally.scales)."""
    scale = round_.scale
    return {
        "levels": scale.levels,
        "level_labels": {level: _(level.label) for level in scale.levels},
        "band_labels": {band: _(band.label) for band in scale.bands},
        "band_marks": {band: scale.band_number(band) for band in scale.bands},
        "wording": {key: str(text) for key, text in DOCUMENT_WORDING.get(scale, {}).items()},
    }


def _common(round_: BallotRound, kind: DocumentKind) -> dict[str, Any]:
    """The heading's context (see documents/_macros.html document_heading), the round and its
    scale."""
    return {
        "round": round_,
        "body_name": round_.body_name,
        "governing_body_name": round_.governing_body_name,
        "is_party": round_.unit.kind.is_party,
        "locality": locality_of(round_),
        "document_date": document_date(round_),
        "kind_code": NUMBERED_KINDS.get(kind, ""),
        "issuer_code": issuer_code(round_),
        **_scale_context(round_),
    }


def _officer_context(round_: BallotRound) -> dict[str, Any]:
    """The counting team (head first) and the names of the chair and the secretary."""
    officers = sorted(round_.officers, key=lambda o: (MINUTES_SIGNER_ROLES.index(o.role),
                                                      o.id or 0))
    team = [Signer(field_name="", position=0, user_id=o.user_id, full_name=o.user.full_name,
                   role_label=str(OFFICER_LABELS[o.role])) for o in officers
            if o.role in (OfficerRole.COUNTER_HEAD, OfficerRole.COUNTER)]

    def names(role: OfficerRole) -> str:
        return ", ".join(o.user.full_name for o in officers if o.role is role)

    return {"team": team, "chair": names(OfficerRole.CHAIR),
            "secretary": names(OfficerRole.SECRETARY)}


def ballot_count(round_: BallotRound) -> int:
    """How many blank ballots to print: one per member present (frozen when voting opened, or
    as marked so far), or one per member summoned before attendance is taken."""
    if round_.present_count is not None:
        return round_.present_count
    present = sum(1 for v in round_.voters if v.present)
    return present or len(round_.voters)


def _salutation(round_: BallotRound, candidate: BallotCandidate) -> str:
    if round_.unit.kind.is_party:
        return "đồng chí"
    gender = candidate.person.gender if candidate.person else None
    return {Gender.MALE: "ông", Gender.FEMALE: "bà"}.get(gender, "ông/bà")


class RoundDocumentType(DocumentType):
    """What the three kinds of a round share: the owner, the heading, the fingerprints."""

    owner = "ballot_round"
    template: str
    title_format: Any

    def ready(self, round_: BallotRound) -> None:
        if not ballots.results_available(round_):
            raise InvalidState(_l("The minutes and the result notices can be issued only "
                                  "after the ballots have been counted."))

    def check(self, round_: BallotRound, candidate: BallotCandidate | None) -> None:
        self.ready(round_)
        if candidate is not None:
            raise ValidationFailed(_l("Only a result notice is addressed to one person."),
                                   field="candidate_id")

    def check_plan(self, plan: DocumentPlan) -> None:
        if not plan.signers:
            raise InvalidState(_l("Name the chair and the counting team of the round first: "
                                  "the document needs someone to sign it."))
        if not plan.context["locality"]:
            raise InvalidState(NO_LOCALITY)

    def title(self, round_: BallotRound, candidate: BallotCandidate | None) -> str:
        return str(self.title_format) % {"title": round_.title}

    def signers(self, round_: BallotRound) -> list[Signer]:
        return []

    def context(self, round_: BallotRound, candidate: BallotCandidate | None) -> dict:
        return {}

    def plan(self, round_: BallotRound, candidate: BallotCandidate | None) -> DocumentPlan:
        counted = ballots.results_available(round_)
        context = _common(round_, self.kind)
        title = self.title(round_, candidate)
        context.update(self.context(round_, candidate))
        return DocumentPlan(kind=self.kind, owner=round_, subject=candidate, title=title,
                            template=self.template, signers=self.signers(round_),
                            context=context,
                            tally_fingerprint=tally_fingerprint(round_) if counted else None,
                            roll_fingerprint=roll_fingerprint(round_))


class MinutesType(RoundDocumentType):
    kind = DocumentKind.MINUTES
    label = _l("Vote-count minutes")
    template = "ballots/documents/minutes.html"
    title_format = _l("Vote-count minutes: %(title)s")
    number_code = NUMBERED_KINDS[DocumentKind.MINUTES]
    file_prefix = "bien-ban-kiem-phieu"

    def signers(self, round_):
        return minutes_signers(round_)

    def context(self, round_, candidate):
        return {"facts": _facts(round_), "rows": signature_rows(minutes_signers(round_)),
                "box_key": ballots.round_key(round_), **_officer_context(round_)}


class BlankBallotsType(RoundDocumentType):
    kind = DocumentKind.BLANK_BALLOTS
    label = _l("Blank ballots")
    template = "ballots/documents/ballots.html"
    title_format = _l("Blank ballots: %(title)s")
    file_prefix = "phieu-tin-nhiem"

    def ready(self, round_):
        if round_.status is RoundStatus.DRAFT:
            raise InvalidState(_l("Blank ballots can be printed once the round has left the "
                                  "draft: the list of people voted on is final only then."))

    def check_plan(self, plan):
        """Blank ballots are forms: no signer, no number, no date line."""

    def context(self, round_, candidate):
        return {"ballot_numbers": range(1, ballot_count(round_) + 1),
                "candidates": round_.active_candidates}


class EntryLogType(RoundDocumentType):
    """Nhật ký nhập phiếu: issued once the round is counted (the log is then complete and the
    reconciliations made; a signed log is never replaced, so one signed during entry would
    stay short of the later entries). Signed as the minutes are."""

    kind = DocumentKind.ENTRY_LOG
    label = _l("Paper ballot entry log")
    template = "ballots/documents/entry_log.html"
    title_format = _l("Paper ballot entry log: %(title)s")
    number_code = NUMBERED_KINDS[DocumentKind.ENTRY_LOG]
    file_prefix = "nhat-ky-nhap-phieu"

    def ready(self, round_):
        refusal = paper_ballot_refusal(round_)
        if refusal:
            raise InvalidState(refusal)
        if not ballots.results_available(round_):
            raise InvalidState(_l("The entry log of the paper ballots is issued once the "
                                  "ballots have been counted: it is then complete."))

    def signers(self, round_):
        return minutes_signers(round_)

    def context(self, round_, candidate):
        return entry_log_context(round_)

    def plan(self, round_, candidate):
        plan = super().plan(round_, candidate)
        plan.roll_fingerprint = None  # the log is about paper, not about who was summoned
        return plan


class RecheckRecordType(RoundDocumentType):
    """Biên bản phúc tra: the record of one finished re-check (its subject), signed as the
    minutes are. It never changes the count and says so."""

    kind = DocumentKind.RECHECK
    label = _l("Re-check record")
    template = "ballots/documents/recheck.html"
    title_format = _l("Re-check record no. %(recheck)s: %(title)s")
    number_code = NUMBERED_KINDS[DocumentKind.RECHECK]
    file_prefix = "bien-ban-phuc-tra"

    def ready(self, round_):
        refusal = paper_ballot_refusal(round_)
        if refusal:
            raise InvalidState(refusal)
        if not ballots.results_available(round_):
            raise InvalidState(_l("Paper ballots are re-checked only after they have been "
                                  "counted."))

    def check(self, round_, subject):
        self.ready(round_)
        if not isinstance(subject, PaperRecheck) or subject.round_id != round_.id:
            raise NotFound(_l("This re-check does not exist."))
        if subject.finished_at is None:
            raise InvalidState(_l("Finish keying the batch again first."))

    def title(self, round_, subject):
        return str(self.title_format) % {"recheck": getattr(subject, "id", ""),
                                         "title": round_.title}

    def signers(self, round_):
        return minutes_signers(round_)

    def context(self, round_, subject):
        return recheck_context(round_, subject)

    def plan(self, round_, subject):
        plan = super().plan(round_, subject)
        plan.roll_fingerprint = None
        return plan


class ResultNoticeType(RoundDocumentType):
    kind = DocumentKind.RESULT_NOTICE
    label = _l("Result notice")
    template = "ballots/documents/notice.html"
    title_format = _l("Result notice to %(name)s: %(title)s")
    number_code = NUMBERED_KINDS[DocumentKind.RESULT_NOTICE]
    file_prefix = "thong-bao-ket-qua"

    def check(self, round_, candidate):
        self.ready(round_)
        if candidate is None:
            raise ValidationFailed(_l("Choose the person the notice is for."),
                                   field="candidate_id")
        if candidate.round_id != round_.id or candidate.excluded:
            raise NotFound(NOT_ON_LIST)

    def title(self, round_, candidate):
        if candidate is None:
            raise ValidationFailed(_l("Choose the person the notice is for."),
                                   field="candidate_id")
        return str(self.title_format) % {"name": candidate.full_name, "title": round_.title}

    def signers(self, round_):
        return notice_signers(round_)

    def context(self, round_, candidate):
        facts = _facts(round_)
        return {"facts": facts,
                "line": next(line for line in facts.lines if line.candidate.id == candidate.id),
                "salutation": _salutation(round_, candidate)}


# ---------------------------------------------------------------- paper: the entry log


BAD_LINE_SHORT = {BLANK: _l("blank"), SEVERAL: _l("several")}


def lines_text(round_: BallotRound, ballot: PaperBallot) -> str:
    """A paper ballot as keyed, in a few letters per line: "1 Cao · 2 trống · 3 nhiều", or
    "Không hợp lệ: Ghi thêm tên" for a ballot invalid as a whole."""
    if not ballot.valid:
        return _("Invalid: %(reason)s", reason=_(InvalidReason(ballot.invalid_reason).label))
    short = {level.value: _(level.short) for level in round_.scale.levels}
    short.update({key: str(text) for key, text in BAD_LINE_SHORT.items()})
    return " · ".join(f"{n} {short.get(value, value)}"
                      for n, value in enumerate(ballot.lines, start=1))


@dataclass(frozen=True)
class LogRow:
    ballot_number: int
    entry_number: int
    operator: str
    lines: str
    time: str
    differs: bool   # the ballot's entries disagree (reconciled below)


@dataclass(frozen=True)
class ResolutionRow:
    ballot_number: int
    lines: str
    head: str
    reason: str
    time: str


def _when(moment) -> str:
    local = Formats.local(moment)
    return local.strftime("%H:%M:%S %d/%m/%Y") if local else ""


def paper_count_lines(round_: BallotRound, count: PaperCount) -> list[dict]:
    """Per person voted on, in ballot order: the count of each level and of invalid lines."""
    return [{"number": n, "name": c.full_name,
             "counts": {level: count.marks.get((n, level.value), 0)
                        for level in round_.scale.levels},
             "invalid": count.line_invalid.get(n, 0)}
            for n, c in enumerate(round_.active_candidates, start=1)]


def entry_log_context(round_: BallotRound) -> dict[str, Any]:
    """Every entry of every paper ballot (ballot, entry number, operator, the lines as keyed,
    time), the head's reconciliations, and the totals. Entries carry no name but the counting
    team's: paper has none, and nothing here links a ballot to whoever cast it."""
    entries = paper.entries_of(round_)
    resolved = paper.resolutions_of(round_)
    names = {o.user_id: o.user.full_name for o in round_.officers}

    def name(user_id: int) -> str:
        if user_id not in names:
            user = db.session.get(User, user_id)
            names[user_id] = user.full_name if user is not None else str(user_id)
        return names[user_id]

    rows, per_operator = [], {}
    for number, found in sorted(entries.items()):
        differs = bool(rules_paper.differing_lines([paper.content(e) for e in found]))
        for entry in found:
            rows.append(LogRow(number, entry.entry_number, name(entry.operator_id),
                               lines_text(round_, paper.content(entry)),
                               _when(entry.entered_at), differs))
            per_operator[name(entry.operator_id)] = per_operator.get(
                name(entry.operator_id), 0) + 1
    resolutions = [ResolutionRow(r.ballot_number, lines_text(round_, paper.content(r)),
                                 name(r.confirmed_by_id), r.reason, _when(r.confirmed_at))
                   for _n, r in sorted(resolved.items())]
    count = paper.paper_count(round_) or PaperCount(0, 0, 0)
    return {"log_rows": rows, "resolutions": resolutions, "per_operator": per_operator,
            "ballots_keyed": len(entries), "paper": count,
            "paper_lines": paper_count_lines(round_, count),
            "short_legend": [(_(level.short), _(level.label)) for level in round_.scale.levels]
            + [(str(BAD_LINE_SHORT[BLANK]), _("a line left blank")),
               (str(BAD_LINE_SHORT[SEVERAL]), _("a line with several marks"))],
            "rows": signature_rows(minutes_signers(round_))}


# ---------------------------------------------------------------- paper: the re-check record


def recheck_context(round_: BallotRound, batch: PaperRecheck) -> dict[str, Any]:
    """The batch, who keyed it again, each ballot that differs and how (line by line), the
    batch's totals as archived and as keyed again beside the published count, the
    conclusion."""
    result = recheck.compare(round_, batch)
    users = {u.id: u.full_name for u in db.session.execute(
        select(User).where(User.id.in_([*result.operators, batch.opened_by_id]))).scalars()}
    names = [c.full_name for c in round_.active_candidates]
    differences = []
    for d in result.differences:
        for line in d.lines:
            if line == 0:
                what = _("The ballot as a whole")
                kept = lines_text(round_, d.archived) if not d.archived.valid else _("Valid")
                again = lines_text(round_, d.again) if not d.again.valid else _("Valid")
            else:
                what = f"{line}. {names[line - 1]}"
                kept, again = (_short_line(round_, b, line) for b in (d.archived, d.again))
            differences.append({"ballot": d.ballot_number, "what": what, "archived": kept,
                                "again": again})
    published = {c.candidate_id: c for c in ballots.tally_of(round_).candidates}
    totals = []
    for n, candidate in enumerate(round_.active_candidates, start=1):
        line = published[candidate.id]
        choices = [(_(level.label), result.archived.marks.get((n, level.value), 0),
                    result.again.marks.get((n, level.value), 0), line.counts[level])
                   for level in round_.scale.levels]
        choices.append((_("Void lines"), result.archived.line_invalid.get(n, 0),
                        result.again.line_invalid.get(n, 0), line.blank))
        totals.append({"number": n, "name": candidate.full_name, "choices": [
            {"label": label, "archived": kept, "again": again, "published": shown,
             "would_be": shown - kept + again} for label, kept, again, shown in choices]})
    return {"batch": batch, "result": result, "differences": differences, "totals": totals,
            "opened_by": users.get(batch.opened_by_id, ""),
            "operators": [users.get(i, "") for i in result.operators],
            "rows": signature_rows(minutes_signers(round_))}


def _short_line(round_: BallotRound, ballot: PaperBallot, line: int) -> str:
    if not ballot.valid:
        return lines_text(round_, ballot)
    return lines_text(round_, PaperBallot((ballot.lines[line - 1],))).split(" ", 1)[1]


# ---------------------------------------------------------------- the round as an owner


class RoundOwner(DocumentOwner):
    key = "ballot_round"
    model = BallotRound
    subjects = {"ballot_candidate": BallotCandidate, "paper_recheck": PaperRecheck}
    label = _l("Round")
    nothing_to_sign = _l("No document of this round is waiting for your signature.")

    def title(self, round_):
        return round_.title

    def url(self, round_):
        return url_for("ballots.round_page", round_id=round_.id)

    def documents_url(self, round_):
        return url_for("ballots.round_page", round_id=round_.id, _anchor="documents")

    def sign_all_url(self, round_):
        return url_for("ballots.sign_all_documents", round_id=round_.id)

    def can_issue(self, user, round_):
        return can_issue(user, round_)

    def can_download(self, user, document, round_):
        return can_download(user, document, round_)

    def can_see(self, user, round_):
        return ballots.can_see_round(user, round_)

    def potential_signers(self, user_id=None):
        """Every officer of a round, with the body of their last round."""
        query = (select(BallotOfficer.user_id, BallotRound.body_name)
                 .join(BallotRound, BallotRound.id == BallotOfficer.round_id)
                 .order_by(BallotRound.id))
        if user_id is not None:
            query = query.where(BallotOfficer.user_id == user_id)
        return {officer: body for officer, body in db.session.execute(query).all()}

    def default_body_name(self):
        unit = db.session.execute(select(Unit).where(Unit.parent_id.is_(None))
                                  .order_by(Unit.position, Unit.id).limit(1)).scalar()
        return unit.name if unit is not None else None

    def register(self, round_):
        return "unit", register_unit(round_).id

    def number_label(self, round_, kind_code, number):
        return format_number_label(round_.unit.kind.is_party, kind_code, issuer_code(round_),
                                   number)

    def document_date(self, round_):
        return document_date(round_)

    def subject_position(self, round_, subject_type, subject_id):
        if subject_type == "paper_recheck":
            return subject_id or 0
        positions = {c.id: c.position for c in round_.candidates}
        return positions.get(subject_id, 0)

    def file_name_parts(self, document, round_):
        parts = [str(round_.id)]
        if document.subject_type == "paper_recheck":
            parts.append(f"phuc-tra-{document.subject_id}")
        elif document.subject_id is not None:
            candidate = db.session.get(BallotCandidate, document.subject_id)
            if candidate is not None and slug(candidate.full_name):
                parts.append(slug(candidate.full_name))
        return parts

    def audit_details(self, round_, subject):
        if isinstance(subject, PaperRecheck):
            return {"round_id": round_.id, "recheck_id": subject.id}
        return {"round_id": round_.id,
                "candidate_id": subject.id if subject is not None else None}


# ---------------------------------------------------------------- services


def round_of(document: IssuedDocument) -> BallotRound | None:
    """The round a document belongs to, None when a round does not own it."""
    if document.owner_type != RoundOwner.key:
        return None
    return db.session.get(BallotRound, document.owner_id)


def round_documents(round_: BallotRound) -> list[IssuedDocument]:
    """The current document of each kind (and person) of the round: minutes, ballots, then the
    notices in ballot order."""
    return engine.owner_documents(round_)


def issue_document(actor, round_: BallotRound, kind: DocumentKind,
                   candidate: BallotCandidate | PaperRecheck | None = None, *,
                   clock: Callable[[], datetime] | None = None,
                   base_url: str | None = None) -> IssuedDocument:
    """Issue a document of the round (see evalapp.documents.services.issue_document)."""
    return engine.issue_document(actor, round_, DocumentKind(kind), candidate, clock=clock,
                                 base_url=base_url)


def issue_all_notices(actor, round_: BallotRound, *, base_url: str | None = None,
                      clock: Callable[[], datetime] | None = None) -> list[IssuedDocument]:
    """The result notice of every person voted on (issued, or the current one reused), in
    ballot order."""
    if not can_issue(actor, round_):
        raise NotAllowed()
    candidates = round_.active_candidates
    if not candidates:
        raise InvalidState(_l("Nobody is voted on in this round."))
    return [engine.issue_document(actor, round_, DocumentKind.RESULT_NOTICE, candidate,
                                  base_url=base_url, clock=clock) for candidate in candidates]


def update_document_details(actor, round_: BallotRound, *, governing_body_name: str | None,
                            locality: str | None) -> BallotRound:
    """The governing body line and the place name of the date line, which those who issue the
    round's documents may set at any time: a signed document never changes, and an unsigned
    one is issued anew, with the same number, the next time it is asked for."""
    if not can_issue(actor, round_):
        raise NotAllowed()
    governing, place = nfc_or_none(governing_body_name), nfc_or_none(locality)
    if governing and len(governing) > 300:
        raise ValidationFailed(_l("At most %(max)d characters.", max=300),
                               field="governing_body_name")
    if place and len(place) > 120:
        raise ValidationFailed(_l("At most %(max)d characters.", max=120), field="locality")
    round_.governing_body_name, round_.locality = governing, place
    db.session.flush()
    record(actor, "ballot_round.document_details_updated", round_,
           governing_body_name=governing, locality=place)
    return round_


def round_has_signed_minutes(round_: BallotRound) -> bool:
    """True once any signature is applied to the round's vote-count minutes: from then on the
    round's numbers are locked."""
    return engine.has_signed(round_, DocumentKind.MINUTES)


def notices_zip_name(round_: BallotRound) -> str:
    return f"thong-bao-ket-qua-{round_.id}-tat-ca.zip"


def current_notices(round_: BallotRound) -> list[IssuedDocument]:
    return [d for d in round_documents(round_) if d.kind is DocumentKind.RESULT_NOTICE]


def notices_zip(documents: list[IssuedDocument]) -> bytes:
    """The notices as they are now, one PDF each under its download name, in one ZIP file."""
    return engine.documents_zip(documents)


# ---------------------------------------------------------------- registration

OWNER = register_owner(RoundOwner())
for _type in (MinutesType(), BlankBallotsType(), ResultNoticeType(), EntryLogType(),
              RecheckRecordType()):
    register_document_type(_type)
