"""Around the ledger's periods: the import templates, scores imported from other sources (a
competency exam, a KPI system, a training record), the general criteria given once a year, and
how both reach the evaluation rounds through evaluations' registries (period_sources).

Services take the acting user, flush, write one audit entry per change and never commit.
"""

from __future__ import annotations

from evalapp.core.spreadsheets import new_workbook, workbook_bytes
from evalapp.ledger import services
from evalapp.org.models import Unit

# The headings the import reads (services.COLUMNS' Vietnamese aliases).
ITEM_HEADINGS = ("Mã cán bộ", "Kỳ", "Sản phẩm", "Mức độ", "Số lượng", "Hạn hoàn thành")


def _template(headings, example) -> bytes:
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "Nhap"
    sheet.append(list(headings))
    sheet.append(list(example))
    return workbook_bytes(workbook)


def items_template(unit: Unit) -> bytes:
    """The work items' template: the heading row and an example row (a product of the unit's
    catalogue when it has one) to replace."""
    products = services.catalogue(unit)
    product = products[0].name if products else "Báo cáo chuyên đề"
    return _template(ITEM_HEADINGS, ("CB0001", "03/2026", product, "", "2", "20/03/2026"))
