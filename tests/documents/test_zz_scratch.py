from evalapp.documents.models import DocumentKind
from evalapp.documents.services import plan_document, Stamp
from evalapp.org.models import UnitKind
from tests.documents.helpers import build_round, GOLDEN_STAMP, ballots_for_53_19
import dataclasses

def test_scratch(db):
    built = build_round(summoned=50, present=47, ballots_cast=ballots_for_53_19())
    built.round.governing_body_name = "Đảng bộ tỉnh Hòa Bình"
    stamp = dataclasses.replace(GOLDEN_STAMP, number="07-BB/TU")
    open("/tmp/party.pdf","wb").write(plan_document(built.round, DocumentKind.MINUTES).render(stamp).pdf)
    b2 = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ")
    b2.round.governing_body_name = "UBND tỉnh Hòa Bình Xanh"
    stamp = dataclasses.replace(GOLDEN_STAMP, number="01/BB-SNV")
    open("/tmp/state.pdf","wb").write(plan_document(b2.round, DocumentKind.MINUTES).render(stamp).pdf)
    open("/tmp/notice.pdf","wb").write(plan_document(b2.round, DocumentKind.RESULT_NOTICE, b2.round.active_candidates[0]).render(stamp).pdf)
    open("/tmp/ballots.pdf","wb").write(plan_document(b2.round, DocumentKind.BLANK_BALLOTS).render(stamp).pdf)
