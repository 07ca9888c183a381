"""What members send us, shared by the push endpoints: record it once, read it, match it.

Owns recording each provider push once with what became of it (inbox), reading a short
answer (replies), matching an SMS reply to a member and card and acting on it (sms_replies,
which the admin's queue reuses when a person attributes a reply), and the guards every push
endpoint shares (push_guard). May import campaign, notify and the base layer; never bot or
identity. Nothing here commits.
"""
