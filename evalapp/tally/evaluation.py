"""The rules of an evaluation round (đánh giá, xếp loại chất lượng), as plain functions.

Domain guide §3. Sources: Nghị định 233/2026/NĐ-CP (viên chức and public service units; its text
is in shared/reference), Nghị định 335/2025/NĐ-CP (công chức and state agencies), Quy định
366-QĐ/TW (2025, Party members and collectives) and the historical Nghị định 90/2020/NĐ-CP
(amended by 48/2023). Where this module cites an article without naming the text, it is NĐ 233.

Everything here is pure: no Flask, no database, no gettext. Points are `Decimal` with two
decimals (rounded half up where a rounding is needed, computed exactly from `Fraction`s, never
floats); shares are `Fraction`s. The messages returned (reasons, problems, labels) are English
message ids marked with `N_`, translated where they are shown.

Readings chosen where the text leaves room (each is also said where it is applied):
- "HTXS ≤ 20 % of those rated HTT": the HTT count excludes those rated HTXS (the text says "of
  the total number rated Hoàn thành tốt nhiệm vụ"); the cap is rounded down by default
  (3 HTT → 0, 5 → 1, 10 → 2), half up when a preset says so.
- Among units, "fewer than 5 sub-units → at most 1 HTXS" replaces the percentage (with 4 units
  and none HTT, one may still be HTXS); the count is of every unit rated in the scope.
- Sick or maternity leave: rated on the time worked even under six months (Điều 14.1 excepts
  the whole of khoản 2; the "six months or more" of khoản 2 qualifies unpaid leave only). The
  domain guide reads it the other way; the preset setting `sick_leave_below_minimum` chooses.
- Deductions: each major error or delay not accepted removes 25 % of the item's points as given
  (not compounding): four unexcused errors leave 0.
- A discipline forces KHT in its year only, once per act, and only in the unit where the act
  was committed (Điều 14.3); the acts already used in an earlier year are passed in by the
  caller (`counted_acts`), which is also how Điều 14.3b (a later decision on an act already
  used) is honoured.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from evalapp.tally.scales import N_, Level

LEVELS: tuple[Level, ...] = (Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED)

CENT = Decimal("0.01")
PERIODS = ("month", "quarter", "year")
YEAR_FROM = ("mean", "last", "min")
QUOTA_ROUNDINGS = ("floor", "half_up")
STEPS = ("units", "self", "meeting", "manager", "decision")


def level_rank(level) -> int:
    """0 for HTXS (best) .. 3 for KHT (worst); ValueError for a level outside the four."""
    try:
        return LEVELS.index(Level(level))
    except ValueError:
        raise ValueError("bad_level") from None


def not_above(level, ceiling) -> bool:
    """Whether `level` is not better than `ceiling` (equal is allowed)."""
    return level_rank(level) >= level_rank(ceiling)


# ---------------------------------------------------------------------------------------------
# Exact numbers

def _fraction(value, what: str = "not_a_number") -> Fraction:
    """An exact Fraction from an int, Fraction, Decimal or numeric string; never a float."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("floats are never used for points or shares")
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(what) from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(what)
        return Fraction(value)
    raise ValueError(what)


def round_half_up(value: Fraction) -> Decimal:
    """`value` with two decimals, rounded half up (away from zero at exactly .xx5), exactly."""
    value = Fraction(value)
    sign = -1 if value < 0 else 1
    scaled = abs(value) * 100
    hundredths = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return (Decimal(sign * hundredths).scaleb(-2)).quantize(CENT)


def _points(value, what: str = "not_a_number") -> Decimal:
    """A number of points: a finite Decimal with at most two decimals (ValueError otherwise)."""
    exact = _fraction(value, what)
    if (exact * 100).denominator != 1:
        raise ValueError("precision")
    return round_half_up(exact)


# ---------------------------------------------------------------------------------------------
# Presets

def _default_bands() -> tuple[tuple[Decimal, Level], ...]:
    # Điều 12.1–3 (people) and Điều 7.1–3 (units): HTXS ≥ 90, HTT 70–<90, HTNV 50–<70.
    return ((Decimal(90), Level.EXCELLENT), (Decimal(70), Level.GOOD),
            (Decimal(50), Level.COMPLETED))


def _default_deadlines() -> dict[str, tuple[int, int]]:
    # Điều 9.1a: units before 15 December; Điều 15.1b: viên chức before 5 December (one copy
    # of the decree reads so; a setting). The earlier steps' dates are ours, spaced before the
    # decision so that each step has time; the Quy chế changes them.
    return {"units": (12, 15), "self": (11, 20), "meeting": (11, 25), "manager": (11, 30),
            "decision": (12, 5)}


@dataclass(frozen=True)
class EvaluationPreset:
    """A named rule set of an evaluation round. A round copies `settings()` when it opens and
    reads them back with `from_settings` ever after (the preset may change; the round not)."""

    key: str
    source: str
    name: str        # the rule set's Vietnamese name, shown instead of its key
    scored: bool     # False for decree-90-2020 (criteria and judgement, no points)
    general_max: Decimal = Decimal(30)   # Điều 10 (people), Điều 5 (units)
    task_max: Decimal = Decimal(70)      # Điều 11 (people), Điều 6 (units)
    bands: tuple[tuple[Decimal, Level], ...] = field(default_factory=_default_bands)
    quota_share: Fraction = Fraction(1, 5)                  # Điều 12.6a, 7.7a: HTXS ≤ 20 % HTT
    quota_share_excellent_unit: Fraction = Fraction(1, 4)   # Điều 12.6b, 7.7b: up to 25 %
    quota_rounding: str = "floor"                           # "floor" | "half_up"
    few_units: int = 5                    # Điều 7.7c: fewer than 5 sub-units ...
    few_units_max_excellent: int = 1      # ... at most 1 HTXS
    min_months_worked: int = 6            # Điều 14.1
    sick_leave_below_minimum: bool = True  # Điều 14.2: sick/maternity rated even under 6 months
    unit_exceeded_share_for_excellent: Fraction = Fraction(3, 10)   # Điều 7.1a
    unit_late_share_for_completed: Fraction = Fraction(1, 5)        # Điều 7.3
    unit_plan_share_below_is_kht: Fraction = Fraction(7, 10)        # Điều 7.4b
    period: str = "quarter"      # how scores are tracked: "month" | "quarter" | "year"
    year_from: str = "mean"      # how periods make the year: "mean" | "last" | "min"
    opinion_ballot: bool = True  # the collective meeting holds a secret opinion ballot
    petition_days: int = 10
    deadlines: dict = field(default_factory=_default_deadlines)  # step -> (month, day)

    def __post_init__(self):
        problems = _preset_problems(self)
        if problems:
            raise ValueError(problems[0])

    def settings(self) -> dict:
        """Every value above as JSON-able data (Decimals and Fractions as strings)."""
        return {
            "key": self.key, "source": self.source, "name": self.name, "scored": self.scored,
            "general_max": str(self.general_max), "task_max": str(self.task_max),
            "bands": [[str(points), level.value] for points, level in self.bands],
            "quota_share": str(self.quota_share),
            "quota_share_excellent_unit": str(self.quota_share_excellent_unit),
            "quota_rounding": self.quota_rounding,
            "few_units": self.few_units, "few_units_max_excellent": self.few_units_max_excellent,
            "min_months_worked": self.min_months_worked,
            "sick_leave_below_minimum": self.sick_leave_below_minimum,
            "unit_exceeded_share_for_excellent": str(self.unit_exceeded_share_for_excellent),
            "unit_late_share_for_completed": str(self.unit_late_share_for_completed),
            "unit_plan_share_below_is_kht": str(self.unit_plan_share_below_is_kht),
            "period": self.period, "year_from": self.year_from,
            "opinion_ballot": self.opinion_ballot, "petition_days": self.petition_days,
            "deadlines": {step: [month, day] for step, (month, day) in self.deadlines.items()},
        }

    @classmethod
    def from_settings(cls, data: Mapping) -> EvaluationPreset:
        """The preset a round froze, from `settings()` (or its JSON). Keys it does not know are
        ignored (the round's settings may carry others); a missing key takes its default;
        a malformed value is ValueError("bad_settings")."""
        if not isinstance(data, Mapping):
            raise ValueError("bad_settings")
        values: dict = {}
        try:
            for f in fields(cls):
                if f.name not in data:
                    continue
                raw = data[f.name]
                if f.name in ("key", "source", "name", "quota_rounding", "period", "year_from"):
                    if not isinstance(raw, str):
                        raise ValueError
                    values[f.name] = raw
                elif f.name in ("scored", "opinion_ballot", "sick_leave_below_minimum"):
                    if not isinstance(raw, bool):
                        raise ValueError
                    values[f.name] = raw
                elif f.name in ("few_units", "few_units_max_excellent", "min_months_worked",
                                "petition_days"):
                    if not isinstance(raw, int) or isinstance(raw, bool):
                        raise ValueError
                    values[f.name] = raw
                elif f.name in ("general_max", "task_max"):
                    values[f.name] = _points(raw)
                elif f.name == "bands":
                    values[f.name] = tuple((_points(points), Level(level))
                                           for points, level in raw)
                elif f.name == "deadlines":
                    if not isinstance(raw, Mapping):
                        raise ValueError
                    values[f.name] = {str(step): (int(month), int(day))
                                      for step, (month, day) in raw.items()}
                else:  # the shares
                    if not isinstance(raw, str | int | Fraction) or isinstance(raw, bool):
                        raise ValueError
                    values[f.name] = Fraction(raw)
            if "key" not in values or "scored" not in values:
                raise ValueError
            values.setdefault("source", "")
            values.setdefault("name", values["key"])
            return cls(**values)
        except (ValueError, TypeError, ZeroDivisionError):
            raise ValueError("bad_settings") from None


def _valid_day(month, day) -> bool:
    if not (isinstance(month, int) and isinstance(day, int)) or not 1 <= month <= 12:
        return False
    return 1 <= day <= calendar.monthrange(2024, month)[1]  # a leap year: 29/2 is a day


def _preset_problems(p: EvaluationPreset) -> list[str]:
    problems = []
    if p.period not in PERIODS:
        problems.append("bad_period")
    if p.year_from not in YEAR_FROM:
        problems.append("bad_year_from")
    if p.quota_rounding not in QUOTA_ROUNDINGS:
        problems.append("bad_quota_rounding")
    for share in (p.quota_share, p.quota_share_excellent_unit,
                  p.unit_exceeded_share_for_excellent, p.unit_late_share_for_completed,
                  p.unit_plan_share_below_is_kht):
        if not isinstance(share, Fraction) or not 0 <= share <= 1:
            problems.append("bad_share")
    points = [b[0] for b in p.bands]
    if (not p.bands or points != sorted(points, reverse=True) or len(set(points)) != len(points)
            or [b[1] for b in p.bands] != list(LEVELS[:len(p.bands)])):
        problems.append("bad_bands")
    if min(p.few_units, p.few_units_max_excellent, p.min_months_worked, p.petition_days) < 0:
        problems.append("bad_count")
    if set(p.deadlines) != set(STEPS) or not all(
            _valid_day(*v) for v in p.deadlines.values()):
        problems.append("bad_deadlines")
    return problems


QUARTERLY_PRESET = "quarterly-leaders"
EVALUATION_PRESETS: dict[str, EvaluationPreset] = {
    # Nghị định 335/2025/NĐ-CP (21/12/2025), from 1/1/2026: công chức and state agencies. Its
    # text is not in our references; its frame is read as NĐ 233's (100 points, same bands,
    # same quotas), which the domain guide states.
    "decree-335-2025": EvaluationPreset(
        "decree-335-2025", "Nghị định số 335/2025/NĐ-CP ngày 21/12/2025",
        "Nghị định 335/2025/NĐ-CP của Chính phủ (công chức, cơ quan hành chính)", scored=True),
    # Nghị định 233/2026/NĐ-CP (26/6/2026), from 1/7/2026: viên chức and public service units.
    "decree-233-2026": EvaluationPreset(
        "decree-233-2026", "Nghị định số 233/2026/NĐ-CP ngày 26/6/2026",
        "Nghị định 233/2026/NĐ-CP của Chính phủ (viên chức, đơn vị sự nghiệp công lập)",
        scored=True),
    # Quy định 366-QĐ/TW (30/8/2025): Party members and collectives, 100 points. Its extra
    # conditions for an HTXS collective (100 % on time, ≥ 30 % exceeded) are the unit rules of
    # NĐ 233 Điều 7.1 already. Rated after the staff (NĐ 233 Điều 15.1b): by year end.
    "party-366-2025": EvaluationPreset(
        "party-366-2025", "Quy định số 366-QĐ/TW ngày 30/8/2025",
        "Quy định 366-QĐ/TW (2025) của Bộ Chính trị (đảng viên, tập thể)", scored=True,
        deadlines={"units": (12, 15), "self": (12, 1), "meeting": (12, 10),
                   "manager": (12, 15), "decision": (12, 31)}),
    # Nghị định 90/2020/NĐ-CP amended by 48/2023/NĐ-CP (historical; repealed for viên chức by
    # NĐ 233 from 1/7/2026): five criteria groups and a judgement, no points; rated once a year
    # before 15 December.
    "decree-90-2020": EvaluationPreset(
        "decree-90-2020",
        "Nghị định số 90/2020/NĐ-CP ngày 13/8/2020, sửa đổi bởi Nghị định số 48/2023/NĐ-CP",
        "Nghị định 90/2020/NĐ-CP của Chính phủ (đã được thay thế)", scored=False,
        period="year", year_from="last",
        deadlines={"units": (12, 15), "self": (11, 25), "meeting": (11, 30),
                   "manager": (12, 5), "decision": (12, 15)}),
    # Quarterly reviews of leaders (Kết luận 198-KL/TW, 2025; Hướng dẫn 02-HD/BTCTW, 2026): the
    # results on six axes (QUARTERLY_AXES, a list the round's settings may change), no points
    # unless the round's settings say so, no quota (the quotas apply to the year). Its deadlines
    # are read as (month of the quarter 1–3, day): every step before the 15th of the quarter's
    # last month by default (quarter_due).
    QUARTERLY_PRESET: EvaluationPreset(
        QUARTERLY_PRESET, "Kết luận số 198-KL/TW (2025); Hướng dẫn số 02-HD/BTCTW (2026)",
        "Đánh giá hằng quý đối với cán bộ lãnh đạo, quản lý (Hướng dẫn 02-HD/BTCTW)",
        scored=False, period="quarter", year_from="mean", opinion_ballot=False,
        deadlines={step: (3, 14) for step in STEPS}),
}
DEFAULT_EVALUATION_PRESET = "decree-233-2026"


def _preset(preset) -> EvaluationPreset:
    if isinstance(preset, EvaluationPreset):
        return preset
    if isinstance(preset, str) and preset in EVALUATION_PRESETS:
        return EVALUATION_PRESETS[preset]
    raise ValueError("unknown_preset")


# ---------------------------------------------------------------------------------------------
# The Quy chế: the seed and its check

def _items(rows) -> list[dict]:
    return [{"code": code, "title": title, "points": points} for code, title, points in rows]


# Phụ lục I of NĐ 233 (general criteria of viên chức), 30 points: the decree gives no points
# per item; ours are 10 per group, spread evenly inside it (the Quy chế sets them). Items are
# lettered as the decree letters them (a, b, c, d, đ, e, g, h, i, k).
_GENERAL_233 = (
    ("1a", "Chấp hành đường lối, chủ trương của Đảng, chính sách, pháp luật của Nhà nước và "
           "quy định của cơ quan, tổ chức, đơn vị", "1"),
    ("1b", "Có lập trường chính trị vững vàng; giữ gìn phẩm chất đạo đức, lối sống lành mạnh; "
           "không có biểu hiện suy thoái về tư tưởng chính trị, đạo đức, lối sống", "1"),
    ("1c", "Thực hiện đúng chuẩn mực đạo đức nghề nghiệp; trung thực, khách quan, công bằng "
           "trong thực hiện nhiệm vụ chuyên môn", "1"),
    ("1d", "Không tham nhũng, tiêu cực, lãng phí; không lợi dụng vị trí công tác để vụ lợi; "
           "không để người thân, người quen lợi dụng vị trí công tác của mình để trục lợi", "1"),
    ("1đ", "Có tinh thần đoàn kết, hợp tác trong công tác; tích cực tham gia các hoạt động tập "
           "thể, xây dựng môi trường làm việc chuyên nghiệp", "1"),
    ("1e", "Có tinh thần tự phê bình và phê bình; chủ động nhận diện hạn chế, khuyết điểm của "
           "bản thân và có biện pháp khắc phục", "1"),
    ("1g", "Chấp hành sự phân công của tổ chức; thực hiện đầy đủ chức trách, nhiệm vụ được "
           "giao", "1"),
    ("1h", "Thực hiện các quy định, quy chế, nội quy của cơ quan, tổ chức, đơn vị nơi công tác, "
           "phát huy trách nhiệm của cá nhân trong xây dựng tập thể cơ quan, tổ chức, đơn vị",
     "1"),
    ("1i", "Thực hiện việc kê khai và công khai tài sản, thu nhập theo quy định", "1"),
    ("1k", "Báo cáo đầy đủ, trung thực, cung cấp thông tin chính xác, khách quan về những nội "
           "dung liên quan đến việc thực hiện chức trách, nhiệm vụ được giao và hoạt động của "
           "cơ quan, tổ chức, đơn vị với cấp trên khi được yêu cầu", "1"),
    ("2a", "Năng lực chuyên môn, nghiệp vụ theo yêu cầu của vị trí việc làm", "2.5"),
    ("2b", "Khả năng đáp ứng yêu cầu thực thi nhiệm vụ được giao thường xuyên, đột xuất", "2.5"),
    ("2c", "Tinh thần trách nhiệm trong thực hiện nhiệm vụ", "2.5"),
    ("2d", "Thái độ phục vụ người sử dụng dịch vụ sự nghiệp công và các tổ chức, cá nhân có "
           "liên quan; khả năng phối hợp với đồng nghiệp", "2.5"),
    ("3a", "Có sản phẩm, giải pháp đột phá, sáng tạo đem lại giá trị, hiệu quả thiết thực, tác "
           "động tích cực đến kết quả thực hiện nhiệm vụ của tổ chức, đơn vị", "4"),
    ("3b", "Có tinh thần chịu trách nhiệm trước kết quả công việc; chủ động nhận trách nhiệm "
           "khi có sai sót và có biện pháp khắc phục rõ ràng, cụ thể", "3"),
    ("3c", "Chủ động đưa ra quyết định trong phạm vi thẩm quyền, không né tránh; có tinh thần "
           "tiên phong trong thực hiện những nhiệm vụ mới", "3"),
)

# Điều 11.2 (staff): quantity, quality, timeliness, equal weights as in (a + b + c) / 3 × 70;
# 70 / 3 does not divide into cents, so quantity carries the odd cent.
_TASK_STAFF = (
    ("a", "Số lượng: mức độ hoàn thành sản phẩm, công việc thuộc nhiệm vụ được phân công",
     "23.34"),
    ("b", "Chất lượng: mức độ đáp ứng tiêu chuẩn, mục đích, yêu cầu, hiệu quả của sản phẩm, "
          "dịch vụ", "23.33"),
    ("c", "Tiến độ: mức độ bảo đảm về thời gian trong quá trình thực hiện nhiệm vụ", "23.33"),
)
# Điều 11.3 (leaders): the three plus d, đ, e, equal weights as in (a + … + e) / 6 × 70.
_TASK_LEADER = (
    ("a", _TASK_STAFF[0][1], "11.67"),
    ("b", _TASK_STAFF[1][1], "11.67"),
    ("c", _TASK_STAFF[2][1], "11.66"),
    ("d", "Kết quả hoạt động của đơn vị thuộc phạm vi quản lý hoặc lĩnh vực được giao quản lý, "
          "phụ trách", "11.67"),
    ("đ", "Khả năng tổ chức triển khai thực hiện nhiệm vụ", "11.67"),
    ("e", "Năng lực tập hợp, đoàn kết viên chức, người lao động thuộc thẩm quyền quản lý",
     "11.66"),
)
# Điều 5 (units' general criteria, 30): 10 each.
_UNIT_GENERAL = (
    ("1", "Chấp hành đường lối, chủ trương của Đảng, chính sách, pháp luật của Nhà nước; thực "
          "hiện sự chỉ đạo, điều hành của cấp trên; xây dựng và tổ chức thực hiện chiến lược, "
          "kế hoạch phát triển của đơn vị", "10"),
    ("2", "Hiệu quả quản lý tổ chức bộ máy và nhân sự theo vị trí việc làm; môi trường làm "
          "việc; phối hợp công tác, đoàn kết nội bộ; chấp hành kỷ luật, kỷ cương", "10"),
    ("3", "Cải cách hành chính, ứng dụng công nghệ thông tin, chuyển đổi số; rà soát, cải tiến "
          "quy chế, quy trình nội bộ; khắc phục tồn tại, hạn chế đã được chỉ ra", "10"),
)
# Điều 6 (units' task results, 70): the plan 25 (20 + 5), each other group 15 (5 each).
_UNIT_TASK = (
    ("1a", "Mức độ hoàn thành các mục tiêu, nhiệm vụ theo chương trình, kế hoạch công tác "
           "hằng năm", "20"),
    ("1b", "Mức độ hoàn thành các nhiệm vụ đột xuất", "5"),
    ("2a", "Mức độ đáp ứng yêu cầu về chất lượng sản phẩm, dịch vụ do đơn vị cung cấp", "5"),
    ("2b", "Mức độ hài lòng của cơ quan, tổ chức, cá nhân là đối tượng thụ hưởng sản phẩm, "
           "dịch vụ", "5"),
    ("2c", "Mức độ cải thiện chất lượng sản phẩm, dịch vụ", "5"),
    ("3a", "Hiệu quả quản lý, sử dụng ngân sách nhà nước và các nguồn lực hợp pháp khác được "
           "giao", "5"),
    ("3b", "Hiệu quả sử dụng cơ sở vật chất, trang thiết bị", "5"),
    ("3c", "Hiệu quả sử dụng nguồn nhân lực", "5"),
    ("4a", "Kết quả cải cách thủ tục hành chính, đổi mới hoạt động và nâng cao chất lượng cung "
           "cấp sản phẩm, dịch vụ", "5"),
    ("4b", "Ứng dụng công nghệ thông tin, chuyển đổi số, cải tiến quy trình chuyên môn, "
           "nghiệp vụ", "5"),
    ("4c", "Các sáng kiến, giải pháp đổi mới quản lý hoặc chuyên môn được áp dụng và mang lại "
           "hiệu quả", "5"),
)
# NĐ 90/2020 (historical): four criteria groups and the task results; no points ("0").
_GENERAL_90 = (
    ("1", "Chính trị tư tưởng", "0"),
    ("2", "Đạo đức, lối sống", "0"),
    ("3", "Tác phong, lề lối làm việc", "0"),
    ("4", "Ý thức tổ chức kỷ luật", "0"),
)
_TASK_STAFF_90 = (("5", "Kết quả thực hiện nhiệm vụ theo hợp đồng làm việc đã ký kết, theo kế "
                        "hoạch đề ra hoặc theo công việc cụ thể được giao", "0"),)
_TASK_LEADER_90 = _TASK_STAFF_90 + (
    ("6", "Kết quả hoạt động của cơ quan, tổ chức, đơn vị được giao quản lý, phụ trách", "0"),
    ("7", "Năng lực lãnh đạo, quản lý", "0"),
    ("8", "Năng lực tập hợp, đoàn kết", "0"),
)


def seed_regulation(preset_key: str) -> dict:
    """The first version of a Quy chế under this preset, which the admin then edits: the
    general criteria (Phụ lục I, 30 points), the task items for staff and for leaders (70 each,
    Điều 11), the unit frame (Điều 5 and 6, 30 + 70), and the preset's period, way to the year,
    petition days and deadlines. JSON-able; passes `check_regulation`.

    NĐ 335 and QĐ 366 are seeded from NĐ 233's frame (their texts are not in our references);
    NĐ 90 from its five criteria groups, without points and without a unit frame."""
    preset = _preset(preset_key)
    if preset.scored:
        parts = (_GENERAL_233, _TASK_STAFF, _TASK_LEADER, _UNIT_GENERAL, _UNIT_TASK)
    else:
        parts = (_GENERAL_90, _TASK_STAFF_90, _TASK_LEADER_90, (), ())
    content = dict(zip(PARTS, (_items(rows) for rows in parts), strict=True))
    content.update({
        "preset": preset.key, "scored": preset.scored, "period": preset.period,
        "year_from": preset.year_from, "petition_days": preset.petition_days,
        "deadlines": {step: [month, day] for step, (month, day) in preset.deadlines.items()},
    })
    return content


PARTS = ("general", "task_staff", "task_leader", "unit_general", "unit_task")
_PART_TOTAL = {"general": Decimal(30), "task_staff": Decimal(70), "task_leader": Decimal(70),
               "unit_general": Decimal(30), "unit_task": Decimal(70)}
# One message id per part and problem, so that each reads whole once translated.
_PART_MESSAGES = {
    "general": {
        "missing": N_("The general criteria are missing."),
        "sum": N_("The general criteria must add up to 30 points."),
        "duplicate": N_("Two general criteria have the same code."),
        "blank": N_("A general criterion has no code or no title."),
        "number": N_("A general criterion's points are not a number with at most two "
                     "decimals."),
        "negative": N_("A general criterion has negative points."),
    },
    "task_staff": {
        "missing": N_("The task items for staff are missing."),
        "sum": N_("The task items for staff must add up to 70 points."),
        "duplicate": N_("Two task items for staff have the same code."),
        "blank": N_("A task item for staff has no code or no title."),
        "number": N_("A task item for staff has points that are not a number with at most two "
                     "decimals."),
        "negative": N_("A task item for staff has negative points."),
    },
    "task_leader": {
        "missing": N_("The task items for leaders are missing."),
        "sum": N_("The task items for leaders must add up to 70 points."),
        "duplicate": N_("Two task items for leaders have the same code."),
        "blank": N_("A task item for leaders has no code or no title."),
        "number": N_("A task item for leaders has points that are not a number with at most "
                     "two decimals."),
        "negative": N_("A task item for leaders has negative points."),
    },
    "unit_general": {
        "missing": N_("The units' general criteria are missing."),
        "sum": N_("The units' general criteria must add up to 30 points."),
        "duplicate": N_("Two of the units' general criteria have the same code."),
        "blank": N_("One of the units' general criteria has no code or no title."),
        "number": N_("One of the units' general criteria has points that are not a number with "
                     "at most two decimals."),
        "negative": N_("One of the units' general criteria has negative points."),
    },
    "unit_task": {
        "missing": N_("The units' task criteria are missing."),
        "sum": N_("The units' task criteria must add up to 70 points."),
        "duplicate": N_("Two of the units' task criteria have the same code."),
        "blank": N_("One of the units' task criteria has no code or no title."),
        "number": N_("One of the units' task criteria has points that are not a number with "
                     "at most two decimals."),
        "negative": N_("One of the units' task criteria has negative points."),
    },
}
MSG_NOT_A_REGULATION = N_("The evaluation rules are not in the expected form.")
MSG_PERIOD = N_("The tracking period must be a month, a quarter or the year.")
MSG_YEAR_FROM = N_("The year's score must come from the mean, the last or the lowest period.")
MSG_PETITION_DAYS = N_("The petition period must be a whole number of days, at least one.")
MSG_DEADLINES = N_("Each step needs a deadline that is a real day of the year.")


def check_regulation(content: dict) -> list[str]:
    """What is wrong with a Quy chế (message ids, each once, in a stable order); [] when it can
    be used. Checked: each part is a list of items with a code (unique in the part), a title
    and points (a number, at most two decimals, not negative); the parts add up to 30 / 70 /
    70 / 30 / 70 (not for an unscored preset, content["scored"] false, whose unit parts may be
    empty); the period, the way to the year, the petition days and the deadline of every step.
    """
    if not isinstance(content, Mapping):
        return [MSG_NOT_A_REGULATION]
    scored = content.get("scored", True) is not False
    problems: list[str] = []

    def add(message: str) -> None:
        if message not in problems:
            problems.append(message)

    for part in PARTS:
        messages = _PART_MESSAGES[part]
        items = content.get(part)
        if not isinstance(items, list) or (not items and (scored or part in (
                "general", "task_staff", "task_leader"))):
            add(messages["missing"])
            continue
        total, codes, sum_known = Decimal(0), set(), True
        for item in items:
            if not isinstance(item, Mapping):
                add(messages["blank"])
                sum_known = False
                continue
            code, title = item.get("code"), item.get("title")
            if not isinstance(code, str) or not code.strip() or not isinstance(title, str) \
                    or not title.strip():
                add(messages["blank"])
            elif code.strip() in codes:
                add(messages["duplicate"])
            else:
                codes.add(code.strip())
            raw = item.get("points")
            try:
                if not isinstance(raw, str | int | Decimal) or isinstance(raw, bool):
                    raise ValueError
                points = _points(raw)
            except (ValueError, TypeError):
                add(messages["number"])
                sum_known = False
                continue
            if points < 0:
                add(messages["negative"])
            total += points
        if scored and sum_known and total != _PART_TOTAL[part]:
            add(messages["sum"])
    if content.get("period") not in PERIODS:
        add(MSG_PERIOD)
    if content.get("year_from") not in YEAR_FROM:
        add(MSG_YEAR_FROM)
    days = content.get("petition_days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        add(MSG_PETITION_DAYS)
    deadlines = content.get("deadlines")
    if not isinstance(deadlines, Mapping) or set(deadlines) != set(STEPS) or not all(
            isinstance(v, list | tuple) and len(v) == 2 and _valid_day(*v)
            for v in deadlines.values()):
        add(MSG_DEADLINES)
    return problems


def problem_part(message: str) -> str | None:
    """The part of the Quy chế (one of PARTS) a message of `check_regulation` is about; None
    for the other settings (period, way to the year, petition days, deadlines)."""
    for part, messages in _PART_MESSAGES.items():
        if message in messages.values():
            return part
    return None


# ---------------------------------------------------------------------------------------------
# Scores

def sheet_total(entries: Mapping[str, Decimal], items: Sequence[dict]) -> Decimal:
    """The points given on one part of a score sheet, summed. `items` are the Quy chế's items
    of that part ({"code", "points", …}); an item not given counts 0. ValueError("unknown_item")
    for a code not among the items, "negative" for a negative number, "over_max" for more than
    the item's points, "not_a_number" / "precision" for anything but a number with at most two
    decimals (floats are refused: TypeError)."""
    maxima = {item["code"]: _points(item["points"]) for item in items}
    total = Decimal(0)
    for code, given in entries.items():
        if code not in maxima:
            raise ValueError("unknown_item")
        points = _points(given)
        if points < 0:
            raise ValueError("negative")
        if points > maxima[code]:
            raise ValueError("over_max")
        total += points
    return total.quantize(CENT)


def task_score_from_ratios(ratios: Sequence[Fraction], task_max=Decimal(70)) -> Decimal:
    """Điều 11 as the domain guide states it: staff (a + b + c) / 3 × 70 (quantity, quality,
    timeliness), leaders (a + b + c + d + đ + e) / 6 × 70 (and the unit's results, organising
    capacity, uniting staff). Each ratio in [0, 1]; two decimals, half up, computed exactly.
    ValueError("ratio_count") for anything but 3 or 6 ratios, "ratio_range" outside [0, 1]."""
    if len(ratios) not in (3, 6):
        raise ValueError("ratio_count")
    exact = [_fraction(r) for r in ratios]
    if any(not 0 <= r <= 1 for r in exact):
        raise ValueError("ratio_range")
    return round_half_up(sum(exact, Fraction(0)) / len(exact) * _fraction(task_max))


def deduct(points: Decimal, errors: int, accepted: int) -> Decimal:
    """An item's points after its major errors (quality) or delays (timeliness): each one whose
    objective cause was not accepted removes 25 % of the points given (not compounding), down
    to 0. ValueError("bad_count") when accepted > errors or either is negative."""
    if errors < 0 or accepted < 0 or accepted > errors:
        raise ValueError("bad_count")
    base = _points(points)
    if base < 0:
        raise ValueError("negative")
    kept = max(Fraction(0), 1 - Fraction(errors - accepted, 4))
    return round_half_up(Fraction(base) * kept)


def score_level(total: Decimal, preset) -> Level:
    """The level a total of points reaches (Điều 12.1–4a, 7.1–4): the first band whose floor it
    reaches, else KHT. 89.99 → HTT, 90 → HTXS. ValueError("not_scored") under an unscored
    preset, "score_range" outside 0 .. general_max + task_max."""
    preset = _preset(preset)
    if not preset.scored:
        raise ValueError("not_scored")
    value = _points(total)
    if not 0 <= value <= preset.general_max + preset.task_max:
        raise ValueError("score_range")
    for floor, level in preset.bands:
        if value >= floor:
            return level
    return Level.NOT_COMPLETED


def year_from_periods(scores: Sequence[Decimal], how="mean") -> Decimal:
    """The year's score from the period scores in order (Điều 12.5): their mean (two decimals,
    half up, exact), the last one, or the lowest. A transferred person's periods from the old
    unit are simply part of the sequence (Điều 15.1a: the old unit sends them to the new one,
    which averages them). ValueError("no_periods") when there are none."""
    if how not in YEAR_FROM:
        raise ValueError("bad_year_from")
    if not scores:
        raise ValueError("no_periods")
    exact = [Fraction(_points(s)) for s in scores]
    if how == "last":
        value = exact[-1]
    elif how == "min":
        value = min(exact)
    else:
        value = sum(exact, Fraction(0)) / len(exact)
    return round_half_up(value)


# ---------------------------------------------------------------------------------------------
# Events that force KHT

class ForcingKind(enum.StrEnum):
    """An event that forces KHT whatever the score (Điều 12.4b–d, 14.3)."""

    label: str

    def __new__(cls, key: str, label: str):
        member = str.__new__(cls, key)
        member._value_ = key
        member.label = label
        return member

    # Điều 12.4c, 14.3a: a reprimand or heavier for a violation related to performing duties
    DISCIPLINE_DUTY = "discipline_duty", N_(
        "Disciplined (reprimand or heavier) for a violation related to performing duties")
    # Điều 12.4b: degradation of political ideology, ethics, lifestyle, "self-evolution"
    DEGRADATION = "degradation", N_(
        "Found to show degradation in political ideology, ethics or lifestyle")
    # Điều 12.4b: breaching what Party members may not do, or the duty to set an example
    PROHIBITION = "prohibition", N_(
        "Found to breach the Party's prohibitions or the duty to set an example")
    # Điều 12.4d (leaders): corruption, embezzlement or waste in the unit they run, dealt with
    LEADER_CORRUPTION = "leader_corruption", N_(
        "Corruption or waste dealt with in the unit the leader runs")


@dataclass(frozen=True)
class Event:
    kind: ForcingKind
    act: str          # what identifies the act (one act may lead to a Party and a State decision)
    year: int         # the year the decision or finding takes effect
    unit_id: int      # the unit where the act was committed (for a leader: the unit they run)
    mitigated: bool = False  # the leader found, reported and fixed it themselves (Điều 12.4d)


@dataclass(frozen=True)
class Forcing:
    forced: tuple[Event, ...] = ()      # each forces KHT
    for_review: tuple[Event, ...] = ()  # the authority judges (a mitigated leader's case)


def forcing_events(events: Iterable[Event], *, year: int, unit_id: int, is_leader: bool,
                   counted_acts: frozenset = frozenset()) -> Forcing:
    """The events that force KHT in this year's rating in this unit.

    - Only events of `year` count (Điều 12.4c "in the year rated").
    - A discipline counts once per act (Điều 14.3a: a Party and a State decision on the same act
      in different years count in one year only): an act in `counted_acts` (used in an earlier
      year's rating, also under Điều 14.3b) does not count again, and two decisions on one act in
      the same year are one event (the first kept).
    - A discipline counts only in the unit where the act was committed (Điều 14.3c); a leader's
      corruption case only in the unit they run. Findings of degradation or of breaching the
      prohibitions are personal and count wherever the person is rated.
    - LEADER_CORRUPTION only for leaders; when mitigated it goes to `for_review` (Điều 12.4d:
      the authority weighs it) instead of forcing.
    """
    forced: list[Event] = []
    review: list[Event] = []
    seen: set[tuple[ForcingKind, str]] = set()
    for event in events:
        kind = ForcingKind(event.kind)
        if event.year != year or (kind, event.act) in seen:
            continue
        if kind is ForcingKind.DISCIPLINE_DUTY:
            if event.unit_id != unit_id or event.act in counted_acts:
                continue
        elif kind is ForcingKind.LEADER_CORRUPTION:
            if not is_leader or event.unit_id != unit_id:
                continue
            if event.mitigated:
                seen.add((kind, event.act))
                review.append(event)
                continue
        seen.add((kind, event.act))
        forced.append(event)
    return Forcing(tuple(forced), tuple(review))


@dataclass(frozen=True)
class Outcome:
    level: Level               # the level the rules give (see person_level for unscored rounds)
    score_level: Level | None  # the level of the points alone (None without points)
    reasons: tuple[str, ...]   # message ids saying why, when the level is not just the score's
    review: bool               # the competent authority must judge (Điều 7.5, 12.4d)


MSG_BELOW_50 = N_("Scored under 50 points.")
MSG_NO_SCORE = N_("Rated without points: the competent authority judges the level.")
MSG_FOR_REVIEW = N_("The competent authority weighs a mitigated case before deciding.")


def person_level(total: Decimal | None, forcing: Forcing, preset) -> Outcome:
    """A person's level (Điều 12): KHT when any event forces it (the reasons are the events'
    labels); otherwise the score's band. A mitigated leader's case keeps the score's level with
    review=True. Without points (an unscored preset, or total None), `level` is the best level
    the rules allow (HTXS, or KHT when forced) and review=True: the authority judges below it."""
    preset = _preset(preset)
    by_score = score_level(total, preset) if preset.scored and total is not None else None
    if preset.scored and total is None and not forcing.forced:
        raise ValueError("no_score")
    reasons: list[str] = []
    for event in forcing.forced:
        label = ForcingKind(event.kind).label
        if label not in reasons:
            reasons.append(label)
    review = bool(forcing.for_review)
    if forcing.forced:
        level = Level.NOT_COMPLETED
    elif by_score is None:
        level, review = Level.EXCELLENT, True
        reasons.append(MSG_NO_SCORE)
    else:
        level = by_score
        if by_score is Level.NOT_COMPLETED:
            reasons.append(MSG_BELOW_50)
    if forcing.for_review and not forcing.forced:
        reasons.append(MSG_FOR_REVIEW)
    return Outcome(level, by_score, tuple(reasons), review)


MSG_UNIT_PLAN = N_("Under 70 per cent of the year's plan was done.")
MSG_UNIT_VIOLATION = N_("A violation in personnel work or internal unity was concluded.")
MSG_UNIT_NOT_ON_TIME = N_("Not every task was done on time.")
MSG_UNIT_NOT_EXCEEDED = N_("Under 30 per cent of the tasks were done beyond what was required.")
MSG_UNIT_SUBUNIT_KHT = N_("A sub-unit was rated as not completing its duties.")
MSG_UNIT_NOT_DONE = N_("Not every task was done.")
MSG_UNIT_LATE = N_("Over 20 per cent of the tasks were late.")


def unit_level(total, *, tasks: int, on_time: int, exceeded: int, done: int,
               plan_share_done: Fraction, subunits_not_completed: int, violation: bool,
               preset) -> Outcome:
    """A unit's level (Điều 7 of NĐ 233; the HTXS conditions of QĐ 366 are the same).

    `tasks` assigned; `done` of them completed; `on_time` completed on time; `exceeded`
    completed beyond what was required; `plan_share_done` the share of the year's plan done.
    - KHT: under 50 points, under 70 % of the plan done, or a concluded violation (7.4).
    - HTXS (≥ 90): every task done on time, ≥ 30 % exceeded, no sub-unit KHT (7.1a–b; 7.1c,
      defects of earlier findings fixed, is the authority's to check).
    - HTT (≥ 70): every task done on time (7.2).
    - HTNV (≥ 50): every task done, at most 20 % not on time (7.3).
    When the band's conditions fail, the next lower level whose conditions hold, with
    review=True (7.5: the authority decides); KHT with review=True when none holds.
    ValueError("bad_count") for counts that do not fit (on_time, exceeded ≤ done ≤ tasks).
    """
    preset = _preset(preset)
    if min(tasks, on_time, exceeded, done, subunits_not_completed) < 0 or done > tasks \
            or on_time > done or exceeded > done:
        raise ValueError("bad_count")
    share = _fraction(plan_share_done)
    if share < 0:
        raise ValueError("bad_count")
    band = score_level(total, preset)
    kht_reasons = []
    if band is Level.NOT_COMPLETED:
        kht_reasons.append(MSG_BELOW_50)
    if share < preset.unit_plan_share_below_is_kht:
        kht_reasons.append(MSG_UNIT_PLAN)
    if violation:
        kht_reasons.append(MSG_UNIT_VIOLATION)
    if kht_reasons:
        return Outcome(Level.NOT_COMPLETED, band, tuple(kht_reasons), False)
    failing = {
        Level.EXCELLENT: [m for m, bad in (
            (MSG_UNIT_NOT_ON_TIME, on_time < tasks),
            (MSG_UNIT_NOT_EXCEEDED, exceeded < preset.unit_exceeded_share_for_excellent * tasks),
            (MSG_UNIT_SUBUNIT_KHT, subunits_not_completed > 0)) if bad],
        Level.GOOD: [MSG_UNIT_NOT_ON_TIME] if on_time < tasks else [],
        Level.COMPLETED: [m for m, bad in (
            (MSG_UNIT_NOT_DONE, done < tasks),
            (MSG_UNIT_LATE, tasks - on_time > preset.unit_late_share_for_completed * tasks))
            if bad],
    }
    reasons: list[str] = []
    for level in LEVELS[level_rank(band):]:
        if level is Level.NOT_COMPLETED:
            return Outcome(level, band, tuple(reasons), True)
        if not failing[level]:
            return Outcome(level, band, tuple(reasons), level is not band)
        reasons.extend(m for m in failing[level] if m not in reasons)
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Eligibility (Điều 14)

class Leave(enum.StrEnum):
    NONE = "none"
    SICK = "sick"
    MATERNITY = "maternity"
    UNPAID = "unpaid"


def months_worked(year: int, started_on: date | None, left_on: date | None,
                  unpaid_leave_days: int = 0) -> Fraction:
    """Months worked in `year`, exactly: each calendar month counts the share of its days in
    post (from `started_on`, None = before the year, to `left_on` inclusive, the last day in
    post, None = still in post); unpaid leave days are taken off at a twelfth of the year's
    days per month. 1 July to 31 December is exactly 6."""
    if unpaid_leave_days < 0:
        raise ValueError("bad_count")
    first, last = date(year, 1, 1), date(year, 12, 31)
    start = max(started_on or first, first)
    end = min(left_on or last, last)
    total = Fraction(0)
    for month in range(1, 13):
        days = calendar.monthrange(year, month)[1]
        lo, hi = max(start, date(year, month, 1)), min(end, date(year, month, days))
        if hi >= lo:
            total += Fraction((hi - lo).days + 1, days)
    days_in_year = (last - first).days + 1
    total -= Fraction(unpaid_leave_days * 12, days_in_year)
    return max(total, Fraction(0))


MSG_UNDER_MINIMUM = N_("Worked under six months in the year.")
MSG_ON_TIME_WORKED = N_("Rated on the time worked.")
MSG_NOT_WORKED = N_("Did not work in the year.")


def eligibility(months: Fraction, leave: Leave, preset) -> tuple[bool, str | None]:
    """Whether a person is rated this year (Điều 14.1–2), and why when not plainly.

    Under `min_months_worked` (six): not rated. Unpaid leave with six months or more worked:
    rated on the time worked. Sick or maternity leave: rated on the time worked, even under
    six months when the preset's `sick_leave_below_minimum` says so (our reading of Điều 14.1,
    which excepts the whole of khoản 2), but never with no time worked at all."""
    preset = _preset(preset)
    months = _fraction(months)
    leave = Leave(leave)
    enough = months >= preset.min_months_worked
    if leave in (Leave.SICK, Leave.MATERNITY):
        if months <= 0:
            return False, MSG_NOT_WORKED
        if enough or preset.sick_leave_below_minimum:
            return True, MSG_ON_TIME_WORKED
        return False, MSG_UNDER_MINIMUM
    if not enough:
        return False, MSG_UNDER_MINIMUM
    return True, (MSG_ON_TIME_WORKED if leave is Leave.UNPAID else None)


# ---------------------------------------------------------------------------------------------
# Quotas

def excellent_cap(good: int, *, excellent_unit: bool, preset) -> int:
    """How many may be HTXS for `good` rated HTT (HTXS not counted among them): 20 % (Điều
    12.6a, 7.7a), 25 % only where the unit is rated HTXS (12.6b; for units: where the authority
    finds them outstanding, 7.7b), rounded down (3 → 0, 5 → 1, 10 → 2) or half up per preset."""
    preset = _preset(preset)
    if good < 0:
        raise ValueError("bad_count")
    share = preset.quota_share_excellent_unit if excellent_unit else preset.quota_share
    exact = share * good
    if preset.quota_rounding == "half_up":
        return int((exact.numerator * 2 + exact.denominator) // (2 * exact.denominator))
    return exact.numerator // exact.denominator


@dataclass(frozen=True)
class Rated:
    id: int
    group: str | None   # people: the job-position group; units: the scope they are counted in
    level: Level


@dataclass(frozen=True)
class Breach:
    """A broken rule: `rule` is "unit_quota" | "group_quota" | "units_quota" | "few_units" |
    "head_above_unit"; `scope` the group (None: the whole unit or set); `cap` the most HTXS
    allowed and `excellent` how many there are; `ids` the people or units rated HTXS there
    (for head_above_unit: the heads rated above their unit, cap 0)."""

    rule: str
    scope: str | None
    cap: int
    excellent: int
    ids: tuple[int, ...]


def _count(rated: Sequence[Rated]) -> tuple[int, tuple[int, ...]]:
    good = sum(1 for r in rated if Level(r.level) is Level.GOOD)
    excellent = tuple(sorted(r.id for r in rated if Level(r.level) is Level.EXCELLENT))
    return good, excellent


def _groups(rated: Sequence[Rated]) -> list[str]:
    return sorted({r.group for r in rated if r.group is not None})


def people_quota(people: Sequence[Rated], *, excellent_unit: bool, preset) -> list[Breach]:
    """The quota of HTXS people (Điều 12.6a): within the whole unit ("unit_quota", scope None)
    and within each job-position group of similar duties ("group_quota", scope the group);
    people without a group count in the unit only. Both breaches are reported when both hold."""
    breaches = []
    for rule, scope, members in [("unit_quota", None, list(people))] + [
            ("group_quota", g, [p for p in people if p.group == g]) for g in _groups(people)]:
        good, excellent = _count(members)
        cap = excellent_cap(good, excellent_unit=excellent_unit, preset=preset)
        if len(excellent) > cap:
            breaches.append(Breach(rule, scope, cap, len(excellent), excellent))
    return breaches


def slots_left(people: Sequence[Rated], *, excellent_unit: bool, preset) -> dict[str | None, int]:
    """HTXS places still free: for the unit (key None) and each group present. Negative when
    the quota is broken (-1: one too many)."""
    left = {}
    for scope, members in [(None, list(people))] + [
            (g, [p for p in people if p.group == g]) for g in _groups(people)]:
        good, excellent = _count(members)
        left[scope] = excellent_cap(good, excellent_unit=excellent_unit,
                                    preset=preset) - len(excellent)
    return left


def units_quota(units: Sequence[Rated], *, outstanding: bool, preset) -> list[Breach]:
    """The quota of HTXS units (Điều 7.7–7.8), per scope (`Rated.group`: the units counted
    together, e.g. the sub-units of one unit; None for one set): HTXS ≤ 20 % of the units rated
    HTT, 25 % when the authority finds them outstanding ("units_quota"); when the scope has
    fewer than `few_units` units, at most `few_units_max_excellent` instead of the percentage
    ("few_units")."""
    preset = _preset(preset)
    scopes: dict[str | None, list[Rated]] = {}
    for unit in units:
        scopes.setdefault(unit.group, []).append(unit)
    breaches = []
    for scope in sorted(scopes, key=lambda s: (s is not None, s or "")):
        members = scopes[scope]
        good, excellent = _count(members)
        if len(members) < preset.few_units:
            rule, cap = "few_units", preset.few_units_max_excellent
        else:
            rule, cap = "units_quota", excellent_cap(good, excellent_unit=outstanding,
                                                     preset=preset)
        if len(excellent) > cap:
            breaches.append(Breach(rule, scope, cap, len(excellent), excellent))
    return breaches


def head_above_unit(head_level, unit_level) -> bool:
    """Whether a head is rated above their unit, which Điều 12.7 forbids."""
    return level_rank(head_level) < level_rank(unit_level)


def heads_above_units(heads: Iterable[tuple[int, Level, Level]]) -> list[Breach]:
    """One "head_above_unit" breach naming every head (id, head's level, unit's level) rated
    above their unit; [] when none is."""
    ids = tuple(sorted(i for i, head, unit in heads if head_above_unit(head, unit)))
    return [Breach("head_above_unit", None, 0, len(ids), ids)] if ids else []


# ---------------------------------------------------------------------------------------------
# Quarterly reviews of leaders (Kết luận 198-KL/TW; Hướng dẫn 02-HD/BTCTW)
#
# The contract between the parts: a quarterly review is an evaluation round whose settings'
# "round_type" is "quarterly", whose period is a quarter ("q1".."q4", the spelling of every
# period key of the app; "Q1".."Q4" is read as the same) and whose decided levels are the rated
# people's levels.

QUARTERLY = "quarterly"
QUARTERS = ("q1", "q2", "q3", "q4")
# The six result axes of Hướng dẫn 02-HD/BTCTW, with the points of each when the round's
# settings ask for points (ours: 100 in all, the main tasks and Party building weighing most).
QUARTERLY_AXES = (
    ("T1", "Thực hiện nhiệm vụ chính trị, phát triển kinh tế - xã hội", "20"),
    ("T2", "Xây dựng thể chế, phân cấp, phân quyền; kiểm tra, giám sát", "15"),
    ("T3", "Phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số", "15"),
    ("T4", "Xây dựng Đảng, hệ thống chính trị; phòng, chống tham nhũng, lãng phí, tiêu cực",
     "20"),
    ("T5", "Văn hóa, xã hội, con người; chăm lo đời sống Nhân dân", "15"),
    ("T6", "Quốc phòng, an ninh và đối ngoại", "15"),
)
AXES_MAX = 12           # a round's list: 1 to 12 axes
AXIS_TITLE_MAX = 255

MSG_AXES_NONE = N_("Give at least one axis.")
MSG_AXES_MANY = N_("At most 12 axes.")
MSG_AXIS_BLANK = N_("An axis has no title.")
MSG_AXIS_LONG = N_("An axis's title is longer than 255 characters.")
MSG_AXIS_DUPLICATE = N_("Two axes have the same code.")
MSG_AXIS_POINTS = N_("An axis's points must be a number above 0 with at most two decimals.")
MSG_AXES_SUM = N_("The axes' points may not add up to more than 100.")


def default_axes() -> list[dict]:
    """The six axes as the round's settings keep them: [{"code", "title", "points"}]."""
    return [{"code": code, "title": title, "points": points}
            for code, title, points in QUARTERLY_AXES]


def extra_settings(preset_key: str) -> dict:
    """What a round of this preset keeps in its settings beyond the preset's fields: for the
    quarterly review of leaders, its type and its axes."""
    if preset_key == QUARTERLY_PRESET:
        return {"round_type": QUARTERLY, "axes": default_axes()}
    return {}


def is_quarterly(settings: Mapping) -> bool:
    return isinstance(settings, Mapping) and settings.get("round_type") == QUARTERLY


def quarter_number(period) -> int | None:
    """1..4 for "q1".."q4" (or "Q1".."Q4"), None for any other period."""
    if isinstance(period, str) and period.lower() in QUARTERS:
        return QUARTERS.index(period.lower()) + 1
    return None


def quarter_due(year: int, quarter: int, deadlines: Mapping) -> dict[str, date]:
    """Each step's deadline in a quarter: `deadlines` gives (month of the quarter 1–3, day);
    a day past the month's end is its last day. The preset's default, (3, 14) for every step,
    is the 14th of March, June, September and December: "before the 15th of the quarter's last
    month". ValueError("bad_quarter") outside 1..4, "bad_deadlines" for a month outside 1..3."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("bad_quarter")
    result = {}
    for step, (month, day) in deadlines.items():
        if month not in (1, 2, 3) or not isinstance(day, int) or day < 1:
            raise ValueError("bad_deadlines")
        real_month = 3 * (quarter - 1) + month
        last = calendar.monthrange(year, real_month)[1]
        result[step] = date(year, real_month, min(day, last))
    return result


def check_axes(axes) -> list[str]:
    """The problems of a round's list of axes ([] when it is fine): one to AXES_MAX axes, each
    with a code and a title, distinct codes, points above 0 (two decimals at most) adding up to
    100 at most."""
    if not isinstance(axes, Sequence) or isinstance(axes, str) or not axes:
        return [MSG_AXES_NONE]
    problems: list[str] = []
    if len(axes) > AXES_MAX:
        problems.append(MSG_AXES_MANY)
    codes, total = set(), Decimal(0)
    for axis in axes:
        if not isinstance(axis, Mapping):
            return [MSG_AXIS_BLANK]
        code, title = str(axis.get("code") or "").strip(), str(axis.get("title") or "").strip()
        if not code or not title:
            problems.append(MSG_AXIS_BLANK)
        if len(title) > AXIS_TITLE_MAX:
            problems.append(MSG_AXIS_LONG)
        if code in codes:
            problems.append(MSG_AXIS_DUPLICATE)
        codes.add(code)
        try:
            value = _points(axis.get("points"))
        except (ValueError, TypeError):
            problems.append(MSG_AXIS_POINTS)
            continue
        if value <= 0:
            problems.append(MSG_AXIS_POINTS)
        total += value
    if total > 100:
        problems.append(MSG_AXES_SUM)
    return list(dict.fromkeys(problems))
