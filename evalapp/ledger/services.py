"""The product ledger's services: the catalogue, the work items of a period, the period's score
(evalapp.tally.ledger), its confirmation and reopening, the import of work items from .xlsx, and
the feed of confirmed periods into the evaluation rounds.

How the rounds get the periods: evaluations imports no area built on it, so it keeps a registry
of period sources (evalapp.evaluations.period_sources); this module registers the confirmed
periods there (`confirmed_periods`). A round reads them when it takes its people, and every
confirmation or reopening asks evaluations to refresh that person's rows in the year's
unfinished rounds (`period_sources.refresh`). Reading through a registry rather than only
pushing means a round created after the periods were confirmed (the usual case: the round opens
at year end) still finds them, and evaluations never depends on the ledger's tables.

Services take the acting user, check the period's lifecycle and the permission vocabulary,
flush, write one audit entry per change and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from evalapp.audit.services import record
from evalapp.auth.permissions import can, require
from evalapp.core.errors import NotAllowed, NotFound, ValidationFailed
from evalapp.core.text import fold_for_search, nfc, nfc_or_none
from evalapp.core.time import utcnow
from evalapp.evaluations import period_sources
from evalapp.evaluations.models import Regulation, hundredths, points
from evalapp.evaluations.services import regulation_for_unit
from evalapp.extensions import db
from evalapp.ledger import permissions  # noqa: F401  (registers the ledger's actions)
from evalapp.ledger.lifecycle import PERIOD_STEPS
from evalapp.ledger.models import (
    EVIDENCE_FILE_MAX,
    Item,
    ItemFile,
    ItemOrigin,
    Period,
    PeriodStatus,
    Product,
)
from evalapp.org.models import Person, Unit
from evalapp.org.services import RowError
from evalapp.org.spreadsheets import table_rows
from evalapp.tally import ledger as rules

GROUPS = ("N1", "N2", "N3", "N4", "N5")
TEXT_MAX = 255
EVIDENCE_MAX = 1000
QUANTITY_MAX = Decimal(1_000_000)
FACTOR_MAX = Decimal(1000)
COUNT_MAX = 100


# ---------------------------------------------------------------- reading numbers


def _decimal(raw, field: str, *, positive: bool = False, maximum: Decimal = QUANTITY_MAX
             ) -> Decimal:
    """A number typed by a person ("1,5" or "1.5"), at most two decimals, within bounds."""
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    try:
        value = Decimal(text)
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationFailed(_l("Enter a number with at most two decimals."),
                               field=field) from None
    if value < 0 or (positive and value == 0) or value > maximum:
        raise ValidationFailed(_l("This number is out of the allowed range."), field=field)
    return value


def _count(raw, field: str) -> int:
    try:
        value = int(str(raw).strip() or 0)
    except ValueError:
        raise ValidationFailed(_l("Enter a whole number."), field=field) from None
    if not 0 <= value <= COUNT_MAX:
        raise ValidationFailed(_l("This number is out of the allowed range."), field=field)
    return value


def _text(raw, limit: int, field: str, *, required: bool = False) -> str | None:
    value = nfc_or_none(raw)
    if required and not value:
        raise ValidationFailed(_l("This field is required."), field=field)
    if value and len(value) > limit:
        raise ValidationFailed(_l("This text is too long."), field=field)
    return value


# ---------------------------------------------------------------- the catalogue


def _path_ids(unit: Unit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part] or [unit.id]


def catalogue(unit: Unit, regulation: Regulation | None = None,
              *, active_only: bool = True) -> list[Product]:
    """The products a unit's people use under a Quy chế version (by default the unit's current
    one): those of the unit and of the units above it, in that version."""
    regulation = regulation if regulation is not None else regulation_for_unit(unit)
    version = (Product.regulation_id == regulation.id if regulation is not None
               else Product.regulation_id.is_(None))
    query = select(Product).where(Product.unit_id.in_(_path_ids(unit)), version)
    if active_only:
        query = query.where(Product.active.is_(True))
    return list(db.session.scalars(query.order_by(Product.group, Product.name, Product.id)))


def _levels(raw: list[dict] | None) -> list[dict]:
    levels, names = [], set()
    for entry in raw or []:
        name = _text(entry.get("name"), 80, "levels", required=True)
        if name in names:
            raise ValidationFailed(_l("Two difficulty levels have the same name."),
                                   field="levels")
        names.add(name)
        factor = _decimal(entry.get("factor"), "levels", positive=True, maximum=FACTOR_MAX)
        levels.append({"name": name, "factor": str(factor)})
    return levels


def add_product(actor, unit: Unit, *, name: str, group: str, measure: str, factor,
                levels: list[dict] | None = None) -> Product:
    """A product of the unit's catalogue, in its current Quy chế version."""
    require(actor, "ledger.catalogue", unit)
    regulation = regulation_for_unit(unit)
    product = Product(
        unit_id=unit.id, regulation_id=regulation.id if regulation else None,
        name=_text(name, TEXT_MAX, "name", required=True),
        group=_text(group, 40, "group", required=True),
        measure=_text(measure, 40, "measure", required=True),
        factor=hundredths(_decimal(factor, "factor", positive=True, maximum=FACTOR_MAX)))
    product.levels = _levels(levels)
    db.session.add(product)
    db.session.flush()
    record(actor, "ledger_product.added", product, unit_id=unit.id, factor=str(points(
        product.factor)))
    return product


def retire_product(actor, product: Product) -> None:
    """Takes a product out of the catalogue (the work items that used it keep their copy)."""
    require(actor, "ledger.catalogue", product.unit)
    product.active = False
    db.session.flush()
    record(actor, "ledger_product.retired", product, unit_id=product.unit_id)


def carry_catalogue(actor, unit: Unit, regulation: Regulation) -> int:
    """Copies the unit's active products of the previous Quy chế version into `regulation`
    (a new version), once: products already in it are kept. Returns how many were copied."""
    require(actor, "ledger.catalogue", unit)
    older = db.session.scalars(select(Product).where(
        Product.unit_id == unit.id, Product.active.is_(True),
        Product.regulation_id != regulation.id).order_by(Product.id)).all()
    present = {(p.name, p.group) for p in catalogue(unit, regulation)}
    copied = 0
    for product in older:
        if (product.name, product.group) in present:
            continue
        present.add((product.name, product.group))
        db.session.add(Product(unit_id=unit.id, regulation_id=regulation.id, name=product.name,
                               group=product.group, measure=product.measure,
                               factor=product.factor, levels_json=product.levels_json))
        copied += 1
    if copied:
        db.session.flush()
        record(actor, "ledger_product.carried", regulation, unit_id=unit.id, products=copied)
    return copied


# ---------------------------------------------------------------- periods


def rules_for(period: Period) -> rules.LedgerRules:
    return rules.LedgerRules.from_regulation(period.regulation.content if period.regulation
                                             else None)


def rules_for_unit(unit: Unit) -> rules.LedgerRules:
    """The ledger's rules of the Quy chế that applies to the unit now."""
    regulation = regulation_for_unit(unit)
    return rules.LedgerRules.from_regulation(regulation.content if regulation else None)


def _check_key(key: str, ledger_rules: rules.LedgerRules) -> None:
    if key not in rules.period_keys(ledger_rules.period):
        raise ValidationFailed(_l("This is not a period of the unit's ledger."), field="period")


def period_of(actor, person: Person, year: int, key: str, *, create: bool = True
              ) -> Period | None:
    """The person's period (created, open, in their current unit and its Quy chế, when it does
    not exist yet and `create`). NotFound for someone the actor may not see."""
    if not can(actor, "ledger.see", person):
        raise NotFound()
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed(_l("This is not a period of the unit's ledger."), field="year")
    period = db.session.scalar(select(Period).where(
        Period.person_id == person.id, Period.year == year, Period.period == key))
    if period is not None or not create:
        return period
    regulation = regulation_for_unit(person.unit)
    _check_key(key, rules_for_unit(person.unit))
    period = Period(person_id=person.id, unit_id=person.unit_id, year=year, period=key,
                    regulation_id=regulation.id if regulation else None,
                    is_leader=bool(person.post and person.post.is_leadership),
                    status=PeriodStatus.OPEN)
    db.session.add(period)
    db.session.flush()
    return period


def items_of(period: Period) -> list[Item]:
    return list(db.session.scalars(select(Item).where(Item.period_id == period.id)
                                   .order_by(Item.id)))


def _factor(product: Product, level: str | None) -> tuple[int, str | None]:
    if not level:
        return product.factor, None
    for entry in product.levels:
        if entry["name"] == level:
            return hundredths(points(product.factor) * Decimal(entry["factor"])), level
    raise ValidationFailed(_l("This product has no such difficulty level."), field="level")


def _product(period: Period, product_id) -> Product:
    product = db.session.get(Product, product_id) if isinstance(product_id, int) else None
    unit = db.session.get(Unit, period.unit_id)
    if (product is None or not product.active or product.unit_id not in _path_ids(unit)
            or product.regulation_id != period.regulation_id):
        raise ValidationFailed(_l("Choose a product of the unit's catalogue."), field="product")
    return product


def _new_item(actor, period: Period, *, product: Product, level: str | None, quantity,
              due_on: date | None, origin: ItemOrigin) -> Item:
    factor, level = _factor(product, level)
    item = Item(period_id=period.id, product_id=product.id, title=product.name,
                measure=product.measure, level=level, factor=factor,
                assigned=hundredths(_decimal(quantity, "quantity", positive=True)),
                due_on=due_on, origin=origin.value,
                accepted=origin is ItemOrigin.ASSIGNED, created_by_id=getattr(actor, "id", None),
                errors=0, errors_accepted=0, delays=0, delays_accepted=0)
    db.session.add(item)
    db.session.flush()
    return item


def assign_item(actor, period: Period, *, product_id, quantity, level: str | None = None,
                due_on: date | None = None) -> Item:
    """The manager assigns a work item (counted at once)."""
    PERIOD_STEPS.check(actor, period, "assign")
    item = _new_item(actor, period, product=_product(period, product_id), level=level,
                     quantity=quantity, due_on=due_on, origin=ItemOrigin.ASSIGNED)
    record(actor, "ledger_item.assigned", item, period_id=period.id)
    return item


def propose_item(actor, period: Period, *, product_id, quantity, level: str | None = None,
                 due_on: date | None = None) -> Item:
    """The person proposes a work item of their own; it counts once the manager accepts it."""
    PERIOD_STEPS.check(actor, period, "complete")
    if getattr(actor, "person_id", None) != period.person_id:
        raise NotAllowed(_l("Only the person proposes their own work items."))
    item = _new_item(actor, period, product=_product(period, product_id), level=level,
                     quantity=quantity, due_on=due_on, origin=ItemOrigin.PROPOSED)
    record(actor, "ledger_item.proposed", item, period_id=period.id)
    return item


def accept_item(actor, item: Item) -> Item:
    PERIOD_STEPS.check(actor, item.period, "assign")
    if item.accepted:
        return item
    item.accepted = True
    db.session.flush()
    record(actor, "ledger_item.accepted", item, period_id=item.period_id)
    return item


def complete_item(actor, item: Item, *, delivered, delivered_on: date | None,
                  evidence: str | None = None, cause: str | None = None,
                  attachment: tuple[str, bytes] | None = None) -> Item:
    """The person (or the manager) records what was delivered, when, the evidence (a link, and
    or a file: `attachment` = (its name, its bytes), replacing any earlier one) and any
    objective cause for a delay or an error."""
    PERIOD_STEPS.check(actor, item.period, "complete")
    item.delivered = hundredths(_decimal(delivered, "delivered"))
    item.delivered_on = delivered_on
    item.evidence = _text(evidence, EVIDENCE_MAX, "evidence")
    item.cause = _text(cause, EVIDENCE_MAX, "cause")
    if attachment is not None:
        _attach(actor, item, *attachment)
    db.session.flush()
    record(actor, "ledger_item.completed", item, period_id=item.period_id)
    return item


# What an evidence file may be, by its first bytes (filetype), and the extension it keeps.
EVIDENCE_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def _attach(actor, item: Item, file_name: str, content: bytes) -> ItemFile:
    import filetype

    field = "evidence_file"
    if not content:
        raise ValidationFailed(_l("The file is empty."), field=field)
    if len(content) > EVIDENCE_FILE_MAX:
        raise ValidationFailed(_l("The file is larger than %(mb)s MB.",
                                  mb=EVIDENCE_FILE_MAX // (1024 * 1024)), field=field)
    kind = filetype.guess(content)
    extension = EVIDENCE_TYPES.get(kind.mime) if kind is not None else None
    if extension is None:
        raise ValidationFailed(_l("Attach a PDF, a photo (JPEG or PNG), or a Word or Excel "
                                  "document."), field=field)
    stem = nfc(file_name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    name = f"{(stem or 'minh-chung')[:200]}.{extension}"
    kept = db.session.scalar(select(ItemFile).where(ItemFile.item_id == item.id))
    if kept is None:
        kept = ItemFile(item_id=item.id)
        db.session.add(kept)
    kept.file_name, kept.media_type, kept.size, kept.content = (name, kind.mime, len(content),
                                                                content)
    kept.uploaded_by_id, kept.uploaded_at = getattr(actor, "id", None), utcnow()
    db.session.flush()
    record(actor, "ledger_item.file_attached", item, period_id=item.period_id,
           media_type=kind.mime, size=len(content))
    return kept


def file_of(item: Item) -> ItemFile | None:
    return db.session.scalar(select(ItemFile).where(ItemFile.item_id == item.id))


def files_of(items: list[Item]) -> dict[int, ItemFile]:
    """The evidence files of these items (without their bytes), by item id."""
    from sqlalchemy.orm import defer

    ids = [item.id for item in items]
    return {f.item_id: f for f in db.session.scalars(
        select(ItemFile).options(defer(ItemFile.content)).where(ItemFile.item_id.in_(ids)))
        } if ids else {}


def judge_item(actor, item: Item, *, errors=0, errors_accepted=0, delays=0,
               delays_accepted=0) -> Item:
    """The manager's verdict: major errors and delays, and how many of each had their
    objective cause accepted."""
    PERIOD_STEPS.check(actor, item.period, "assign")
    counts = {name: _count(value, name) for name, value in (
        ("errors", errors), ("errors_accepted", errors_accepted), ("delays", delays),
        ("delays_accepted", delays_accepted))}
    if counts["errors_accepted"] > counts["errors"]:
        raise ValidationFailed(_l("More causes accepted than errors."), field="errors_accepted")
    if counts["delays_accepted"] > counts["delays"]:
        raise ValidationFailed(_l("More causes accepted than delays."), field="delays_accepted")
    for name, value in counts.items():
        setattr(item, name, value)
    db.session.flush()
    record(actor, "ledger_item.judged", item, period_id=item.period_id, **counts)
    return item


def remove_item(actor, item: Item) -> None:
    PERIOD_STEPS.check(actor, item.period, "assign")
    record(actor, "ledger_item.removed", item, period_id=item.period_id)
    db.session.delete(item)
    db.session.flush()


LEADER_PARTS = ("d", "dd", "e")


def score_period(actor, period: Period, *, general=None, leader: dict | None = None) -> Period:
    """The manager's points for the general criteria (0–30, when the Quy chế scores them per
    period) and, for a leader, d (the unit's results), đ and e as percentages (0–100)."""
    PERIOD_STEPS.check(actor, period, "assign")
    if general is not None and str(general).strip():
        period.general = hundredths(_decimal(general, "general", maximum=rules.GENERAL_MAX))
    else:
        period.general = None
    if period.is_leader:
        parts = {}
        for part in LEADER_PARTS:
            raw = (leader or {}).get(part)
            if raw is not None and str(raw).strip():
                parts[part] = str(_decimal(raw, f"leader-{part}", maximum=Decimal(100)))
        period.leader = parts
    db.session.flush()
    record(actor, "ledger_period.scored", period)
    return period


@dataclass(frozen=True)
class PeriodResult:
    ratios: rules.Ratios
    task: Decimal
    score: Decimal | None  # None while the general criteria are missing (per period)


def work_items(items: list[Item]) -> list[rules.WorkItem]:
    """The rules' view of the items that count (assigned, or proposed and accepted)."""
    return [rules.WorkItem(
        assigned=Fraction(item.assigned, 100), delivered=Fraction(item.delivered or 0, 100),
        factor=Fraction(item.factor, 100), errors=item.errors,
        errors_accepted=item.errors_accepted, delays=item.delays,
        delays_accepted=item.delays_accepted, due=item.due_on, delivered_on=item.delivered_on)
        for item in items if item.accepted]


def result(period: Period) -> PeriodResult | None:
    """The period's ratios and scores from its items; None without any item that counts."""
    ledger_rules = rules_for(period)
    try:
        r = rules.ratios(work_items(items_of(period)), ledger_rules)
    except ValueError:
        return None
    leader = None
    if period.is_leader:
        parts = period.leader
        if all(part in parts for part in LEADER_PARTS):
            leader = [Fraction(Decimal(parts[part])) / 100 for part in LEADER_PARTS]
        else:
            leader = [Fraction(0)] * 3
    task = rules.task_score(r, leader)
    general = points(period.general)
    if ledger_rules.general_per == "period":
        score = None if general is None else rules.period_score(task, general, ledger_rules)
    else:
        score = rules.period_score(task, None, ledger_rules)
    return PeriodResult(r, task, score)


def confirm(actor, period: Period) -> Period:
    """The manager confirms the period: its scores are kept and it is locked. Never by the
    person themself. Refused without an item that counts, without the general criteria where
    the Quy chế scores them per period, or for a leader without d, đ and e."""
    if getattr(actor, "person_id", None) == period.person_id:
        raise NotAllowed(_l("Nobody confirms their own period."))
    PERIOD_STEPS.check(actor, period, "confirm")
    if period.is_leader and not all(part in period.leader for part in LEADER_PARTS):
        raise ValidationFailed(_l("Give the leader's unit results, organising capacity and "
                                  "uniting of staff before confirming."), field="leader")
    outcome = result(period)
    if outcome is None:
        raise ValidationFailed(_l("The period has no work item to score."))
    if outcome.score is None:
        raise ValidationFailed(_l("Give the points of the general criteria before confirming."),
                               field="general")
    period.task_score = hundredths(outcome.task)
    period.score = hundredths(outcome.score)
    period.confirmed_at = utcnow()
    period.confirmed_by_id = getattr(actor, "id", None)
    PERIOD_STEPS.move(period, "confirm")
    db.session.flush()
    record(actor, "ledger_period.confirmed", period, person_id=period.person_id,
           period=period.period, year=period.year, score=str(outcome.score))
    period_sources.refresh(actor, period.person_id, period.year)
    return period


PERIOD_STEPS.performs("confirm")(confirm)


def reopen(actor, period: Period, reason: str) -> Period:
    """The manager or an admin reopens a confirmed period, with a reason kept in the audit
    trail; its scores are cleared until it is confirmed again (and the rounds follow)."""
    if getattr(actor, "person_id", None) == period.person_id:
        raise NotAllowed(_l("Nobody reopens their own period."))
    PERIOD_STEPS.check(actor, period, "reopen")
    reason = _text(reason, 1000, "reason", required=True)
    PERIOD_STEPS.move(period, "reopen")
    period.task_score = period.score = None
    period.confirmed_at = None
    period.confirmed_by_id = None
    db.session.flush()
    record(actor, "ledger_period.reopened", period, person_id=period.person_id,
           period=period.period, year=period.year, reason=reason)
    period_sources.refresh(actor, period.person_id, period.year)
    return period


# ---------------------------------------------------------------- the feed into rounds


@period_sources.period_source
def confirmed_periods(person_ids: list[int], year: int
                      ) -> dict[int, list[period_sources.PeriodEntry]]:
    """The confirmed periods of these people in the year, in every unit they were kept in,
    when the period's score is out of 100 (the general criteria given per period; when the Quy
    chế gives them once a year a period's score is out of 70 and is not fed)."""
    found: dict[int, list[period_sources.PeriodEntry]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            select(Period, Unit.name).join(Unit, Period.unit_id == Unit.id)
            .where(Period.person_id.in_(ids[start:start + 500]), Period.year == year,
                   Period.status == PeriodStatus.CONFIRMED)
            .order_by(Period.person_id, Period.period)).all()
        for period, unit_name in rows:
            if rules_for(period).general_per != "period":
                continue
            found.setdefault(period.person_id, []).append(period_sources.PeriodEntry(
                period=period.period, score=str(_fed(period)), unit_id=period.unit_id,
                unit_name=unit_name))
    return found


def _fed(period: Period) -> Decimal:
    """The score fed to the rounds: the kept score, with the Quy chế's weighted sources of
    evidence when it has any (evalapp.ledger.evidence.fed_score)."""
    from evalapp.ledger import evidence

    return evidence.fed_score(period)


# ---------------------------------------------------------------- import from .xlsx

COLUMNS = {
    "staff_code": (_l("Staff code"), ("ma can bo", "ma so", "ma cbccvc", "staff code")),
    "period": (_l("Period"), ("ky", "thang", "quy", "ky danh gia", "period")),
    "product": (_l("Product"), ("san pham", "ten san pham", "product")),
    "level": (_l("Difficulty level"), ("muc do", "muc do phuc tap", "difficulty level",
                                       "level")),
    "quantity": (_l("Quantity"), ("so luong", "so luong giao", "quantity")),
    "due_on": (_l("Due date"), ("han", "han hoan thanh", "thoi han", "due date")),
}
REQUIRED = ("staff_code", "period", "product", "quantity")


def period_or_year(text: str) -> tuple[int, str]:
    """"03/2026" (a month), "Q1/2026" / "Quý 1/2026" (a quarter) or "2026" (the whole year,
    key "year"). ValueError otherwise."""
    folded = fold_for_search(text).replace(" ", "")
    if folded.isdigit():
        year, key = int(folded), "year"
    else:
        quarter = folded.startswith(("q", "quy"))
        body = folded.removeprefix("quy").removeprefix("q")
        number, _, year_text = body.partition("/")
        n, year = int(number), int(year_text)
        key = f"q{n}" if quarter else f"m{n:02d}"
        if key not in rules.period_keys("quarter" if quarter else "month"):
            raise ValueError
    if not 2000 <= year <= 2100:
        raise ValueError
    return year, key


def _period_key(text: str, ledger_rules: rules.LedgerRules) -> tuple[int, str]:
    """A month or a quarter (not a year), as the ledger keeps it."""
    year, key = period_or_year(text)
    if key not in rules.period_keys(ledger_rules.period):
        raise ValueError
    return year, key


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _date(text: str) -> date | None:
    if not text:
        return None
    return datetime.strptime(text, "%d/%m/%Y").date()


@dataclass
class Imported:
    items: int = 0


def import_items(actor, unit: Unit, filename: str, content: bytes) -> Imported:
    """Work items for the people of `unit` from a unit's tracking sheet (.xlsx or .csv): one row
    per item (staff code, period, product of the catalogue, difficulty level, quantity, due
    date). Every row is checked first; any wrong row fails the whole file with the list of
    errors row by row, and nothing is saved."""
    require(actor, "ledger.catalogue", unit)
    rows = iter(table_rows(filename, content))
    headings = next((row for row in rows if any(_cell_text(c) for c in row)), None)
    if headings is None:
        raise ValidationFailed(_l("The file is empty."))
    aliases = {alias: key for key, (_label, names) in COLUMNS.items() for alias in names}
    columns = {i: aliases.get(fold_for_search(_cell_text(cell)))
               for i, cell in enumerate(headings)}
    missing = [str(COLUMNS[key][0]) for key in REQUIRED if key not in columns.values()]
    if missing:
        raise ValidationFailed(_l("Required columns are missing: %(names)s."),
                               names=", ".join(missing))
    products = {(fold_for_search(p.name)): p for p in catalogue(unit)}
    regulation = regulation_for_unit(unit)
    ledger_rules = rules.LedgerRules.from_regulation(regulation.content if regulation else None)
    people: dict[str, Person | None] = {}
    errors: list[RowError] = []
    plan = []
    for number, cells in enumerate(rows, start=2):
        values = {key: _cell_text(cells[i]) for i, key in columns.items()
                  if key and i < len(cells)}
        if not any(values.values()):
            continue
        row_errors = []

        def fail(column, message, _number=number, _errors=row_errors):
            _errors.append(RowError(_number, str(COLUMNS[column][0]), str(message)))

        code = values.get("staff_code", "")
        if code not in people:
            people[code] = db.session.scalar(select(Person).where(Person.staff_code == code))
        person = people[code]
        if person is None or not person.unit.path.startswith(unit.path) \
                or not can(actor, "ledger.manage", person):
            fail("staff_code", _l("No one with this staff code whose work you manage."))
        try:
            year, key = _period_key(values.get("period", ""), ledger_rules)
        except (ValueError, IndexError):
            fail("period", _l("Write the period as 03/2026 (a month) or Q1/2026 (a quarter), "
                              "as the unit's ledger keeps it."))
        product = products.get(fold_for_search(values.get("product", "")))
        if product is None:
            fail("product", _l("This product is not in the unit's catalogue."))
        level = values.get("level") or None
        if product is not None and level and level not in {e["name"] for e in product.levels}:
            fail("level", _l("This product has no such difficulty level."))
        try:
            quantity = _decimal(values.get("quantity"), "quantity", positive=True)
        except ValidationFailed as exc:
            fail("quantity", exc.text())
        try:
            due_on = _date(values.get("due_on", ""))
        except ValueError:
            fail("due_on", _l("Write the date as dd/mm/yyyy."))
        if not row_errors:
            existing = period_of(actor, person, year, key, create=False)
            if existing is not None and existing.confirmed:
                fail("period", _l("This period is confirmed and locked."))
        if row_errors:
            errors.extend(row_errors)
            continue
        plan.append((person, year, key, product, level, quantity, due_on))
    if errors:
        raise ValidationFailed(_l("The file has errors; nothing was saved."), errors=errors)
    if not plan:
        raise ValidationFailed(_l("The file has no work item."))
    for person, year, key, product, level, quantity, due_on in plan:
        period = period_of(actor, person, year, key)
        PERIOD_STEPS.check(actor, period, "assign")
        _new_item(actor, period, product=product, level=level, quantity=quantity, due_on=due_on,
                  origin=ItemOrigin.ASSIGNED)
    record(actor, "ledger_item.imported", unit, items=len(plan))
    return Imported(items=len(plan))
