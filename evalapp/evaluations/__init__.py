"""Evaluation rounds (đánh giá, xếp loại chất lượng): units and people rated under a preset and
their unit's Quy chế, from the self-assessment to the decision, its notices and the export."""
