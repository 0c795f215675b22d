"""Section 5 (Auditing): the manual reviews 5.3-5.15, each a `manual` finding saying what to review and where,
with a summary of what could be read as evidence.

No API records that a person reviewed a report, so none of these ever decides. 5.1 (audit log search) and 5.2
(mailbox auditing) are decided over Exchange output.

Every function takes the evidence reads as arguments; the wiring passes None for a read that failed and its
one-line failure text in `failures`, keyed by the argument's name (e.g. {"risk_detections": "403 ..."}). An
unread source never changes the status: the reason names it and the permission it needs.
"""
