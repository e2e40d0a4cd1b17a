"""Confidence (lấy phiếu tín nhiệm) and no-confidence (bỏ phiếu tín nhiệm) rounds: the roll,
attendance, casting, counting and results."""
