"""The product ledger (issue 13): each unit's catalogue of products versioned with its Quy chế,
each person's work items per month or quarter, the period's score computed from them
(evalapp.tally.ledger), the manager's confirmation that locks the period, and the feed of the
confirmed periods into the evaluation rounds of the year."""
